import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RestoreCompleted, RestoreFailed } from "../../src/events/domain";
import { resourceNames } from "../../src/operation/ids";
import { planSchema } from "../../src/plan/schema";
import { cleanUp } from "../../src/stages/cleanup";
import type { OperationInfo } from "../../src/storage/operations";
import { type DynamoBackend, startDynalite } from "../support/dynamo";
import { endpointOf } from "../support/fakes-b";
import { createWorld, planInput, source, target, targetLocation, type World } from "../support/stage-world-b";

let backend: DynamoBackend;
beforeAll(async () => {
  backend = await startDynalite();
});
afterAll(async () => {
  await backend.stop();
});

function completedEvent(world: World, operation: OperationInfo) {
  return world.deliver(RestoreCompleted, {
    ...world.meta(operation),
    planId: operation.planId,
    target,
    endpoint: { host: endpointOf("staging", "eu-west-1"), port: 5432 },
  });
}

function failedEvent(world: World, operation: OperationInfo) {
  return world.deliver(RestoreFailed, {
    ...world.meta(operation),
    planId: operation.planId,
    target,
    stage: "verify",
    errorCode: "VerificationFailed",
    message: "1 of 3 checks failed",
  });
}

describe("cleanup", () => {
  it("deletes the shareable copy in the source account and the target copy; already-deleted is fine", async () => {
    const world = await createWorld(backend);
    const operation = await world.seedOperation("completed");
    const names = resourceNames(operation.operationId, "staging");
    world.rds.addSnapshot(source, names.shareableSnapshot);
    world.rds.addSnapshot(source, "rds:production-2026-11-28-03-00");
    // The target copy is already gone (deleted by hand, or a previous cleanup).

    await cleanUp(world.deps, completedEvent(world, operation));

    expect(world.calls).toContain(`rds.deleteClusterSnapshot:111111111111:${names.shareableSnapshot}`);
    expect(world.calls).toContain(`rds.deleteClusterSnapshot:222222222222:${names.targetSnapshot}`);
    expect([...world.rds.snapshots.keys()]).toEqual([
      "111111111111/us-east-1/rds:production-2026-11-28-03-00",
    ]);
    const entries = await world.audit.listByOperation(operation.operationId);
    expect(entries.filter((e) => e.action === "delete-snapshot").map((e) => e.outcome)).toEqual([
      "succeeded",
      "succeeded",
    ]);
    expect(entries).toContainEqual(expect.objectContaining({ action: "cleanup", outcome: "succeeded" }));
  });

  it("releases the lock when the operation still holds it, and deletes nothing twice for a replay", async () => {
    const world = await createWorld(backend);
    const operation = await world.seedOperation("failed");
    const names = resourceNames(operation.operationId, "staging");
    world.rds.addSnapshot(targetLocation, names.targetSnapshot);
    expect(await world.store.lockHolder("222222222222/eu-west-1/staging")).toBe(operation.operationId);
    const event = failedEvent(world, operation);

    await cleanUp(world.deps, event);
    const calls = world.calls.length;
    await cleanUp(world.deps, event);

    expect(await world.store.lockHolder("222222222222/eu-west-1/staging")).toBeUndefined();
    expect(world.rds.snapshots.size).toBe(0);
    expect(world.calls.length).toBe(calls);
  });

  it("keeps the intermediate snapshots when the plan says so", async () => {
    const input = planInput();
    input.retention = { keepIntermediateSnapshots: true };
    const world = await createWorld(backend, planSchema.parse(input));
    const operation = await world.seedOperation("completed");
    const names = resourceNames(operation.operationId, "staging");
    world.rds.addSnapshot(targetLocation, names.targetSnapshot);

    await cleanUp(world.deps, completedEvent(world, operation));

    expect(world.rds.snapshots.size).toBe(1);
    expect(world.calls.some((c) => c.startsWith("rds.deleteClusterSnapshot"))).toBe(false);
  });

  it("deletes a replaced cluster that cutover could not delete, never after a failure", async () => {
    const world = await createWorld(backend);
    const completed = await world.seedOperation("completed", {
      replacedClusterIdentifier: "staging-old-x",
      oldClusterDeleted: false,
    });
    world.rds.addCluster(targetLocation, "staging-old-x", ["staging-old-x-1"]);

    await cleanUp(world.deps, completedEvent(world, completed));

    expect(world.rds.cluster(targetLocation, "staging-old-x")).toBeUndefined();
    expect(world.calls.indexOf("rds.deleteInstance:staging-old-x-1")).toBeLessThan(
      world.calls.indexOf("rds.deleteCluster:staging-old-x"),
    );

    // After a failure (e.g. rolled back) the name may be the live target again: cleanup must not touch it.
    const failed = await world.seedOperation("failed", {
      replacedClusterIdentifier: "staging",
      oldClusterDeleted: false,
    });
    world.rds.addCluster(targetLocation, "staging", ["staging-1"]);
    await cleanUp(world.deps, failedEvent(world, failed));
    expect(world.rds.cluster(targetLocation, "staging")).toBeDefined();
    expect(world.calls).not.toContain("rds.deleteCluster:staging");
  });

  it("ignores an end event for an operation that has not ended", async () => {
    const world = await createWorld(backend);
    const operation = await world.seedOperation("verifying");

    await cleanUp(world.deps, failedEvent(world, operation));

    expect(world.calls).toEqual([]);
    const entries = await world.audit.listByOperation(operation.operationId);
    expect(entries).toContainEqual(
      expect.objectContaining({ action: "cleanup", outcome: "ignored-duplicate" }),
    );
  });
});
