import { describe, expect, it } from "vitest";
import { RestoreCompleted, RestoreFailed } from "../../src/events/domain";
import { resourceNames } from "../../src/operation/ids";
import { planSchema } from "../../src/plan/schema";
import { onRestoreCompleted, onRestoreFailed } from "../../src/stages/cleanup";
import type { OperationInfo } from "../../src/storage/operations";
import { useDynalite } from "../support/dynalite";
import { endpointOf } from "../support/fake-arns";
import { createWorld, planInput, sourceLocation, target, targetLocation, type World } from "../support/world";

const backend = useDynalite();

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
    const world = await createWorld(backend());
    const operation = await world.seedOperation("completed");
    const names = resourceNames(operation.operationId, "staging");
    world.rds.addSnapshot(sourceLocation, names.shareableSnapshot);
    world.rds.addSnapshot(sourceLocation, "rds:production-2026-03-14-03-00");
    // The target copy is already gone (deleted by hand, or a previous cleanup).

    await onRestoreCompleted(world.deps, completedEvent(world, operation));

    expect(world.calls.lines).toContain(`rds.deleteClusterSnapshot:111111111111:${names.shareableSnapshot}`);
    expect(world.calls.lines).toContain(`rds.deleteClusterSnapshot:222222222222:${names.targetSnapshot}`);
    expect([...world.rds.snapshots.keys()]).toEqual([
      "111111111111/us-east-1/rds:production-2026-03-14-03-00",
    ]);
    const entries = await world.audit.listByOperation(operation.operationId);
    expect(entries.filter((e) => e.action === "delete-snapshot").map((e) => e.outcome)).toEqual([
      "succeeded",
      "succeeded",
    ]);
    expect(entries).toContainEqual(expect.objectContaining({ action: "cleanup", outcome: "succeeded" }));
  });

  it("releases the lock when the operation still holds it, and deletes nothing twice for a replay", async () => {
    const world = await createWorld(backend());
    const operation = await world.seedOperation("failed");
    const names = resourceNames(operation.operationId, "staging");
    world.rds.addSnapshot(targetLocation, names.targetSnapshot);
    expect(await world.store.lockHolder("222222222222/eu-west-1/staging")).toBe(operation.operationId);
    const event = failedEvent(world, operation);

    await onRestoreFailed(world.deps, event);
    const calls = world.calls.lines.length;
    await onRestoreFailed(world.deps, event);

    expect(await world.store.lockHolder("222222222222/eu-west-1/staging")).toBeUndefined();
    expect(world.rds.snapshots.size).toBe(0);
    expect(world.calls.lines.length).toBe(calls);
  });

  it("keeps the intermediate snapshots when the plan says so", async () => {
    const input = planInput();
    input.retention = { keepIntermediateSnapshots: true };
    const world = await createWorld(backend(), [planSchema.parse(input)]);
    const operation = await world.seedOperation("completed");
    const names = resourceNames(operation.operationId, "staging");
    world.rds.addSnapshot(targetLocation, names.targetSnapshot);

    await onRestoreCompleted(world.deps, completedEvent(world, operation));

    expect(world.rds.snapshots.size).toBe(1);
    expect(world.calls.lines.some((c) => c.startsWith("rds.deleteClusterSnapshot"))).toBe(false);
  });

  it("deletes a replaced cluster that cutover could not delete, never after a failure", async () => {
    const world = await createWorld(backend());
    const completed = await world.seedOperation("completed", {
      replacedClusterIdentifier: "staging-old-x",
      oldClusterDeleted: false,
    });
    world.rds.addCluster(targetLocation, "staging-old-x", ["staging-old-x-1"]);

    await onRestoreCompleted(world.deps, completedEvent(world, completed));

    expect(world.rds.cluster(targetLocation, "staging-old-x")).toBeUndefined();
    expect(world.calls.lines.indexOf("rds.deleteInstance:staging-old-x-1")).toBeLessThan(
      world.calls.lines.indexOf("rds.deleteCluster:staging-old-x"),
    );

    // After a failure (e.g. rolled back) the name may be the live target again: cleanup must not touch it.
    const failed = await world.seedOperation("failed", {
      replacedClusterIdentifier: "staging",
      oldClusterDeleted: false,
    });
    world.rds.addCluster(targetLocation, "staging", ["staging-1"]);
    await onRestoreFailed(world.deps, failedEvent(world, failed));
    expect(world.rds.cluster(targetLocation, "staging")).toBeDefined();
    expect(world.calls.lines).not.toContain("rds.deleteCluster:staging");
  });

  it("discards the credentials a failed operation staged (AWSPENDING); AWSCURRENT stays as the target uses it", async () => {
    const world = await createWorld(backend());
    const before = world.seedTargetSecrets();
    const secrets = world.secrets.port(targetLocation);
    const staged = ["aurora-restore/staging/master", "aurora-restore/staging/app_reader"];
    for (const name of staged) {
      await secrets.putSecretValue({
        secretId: name,
        secretString: JSON.stringify({ ...before.get(name), password: "never-promoted", host: "next" }),
        versionStages: ["AWSPENDING"],
      });
    }
    const operation = await world.seedOperation("failed");
    const event = failedEvent(world, operation);

    await onRestoreFailed(world.deps, event);

    for (const [name, old] of before) {
      expect(world.secrets.current(name)).toEqual(old);
      expect(world.secrets.staged(name, "AWSPENDING")).toBeUndefined();
    }
    const entries = await world.audit.listByOperation(operation.operationId);
    const discarded = entries.filter((e) => e.action === "discard-pending-secret");
    expect(discarded.map((e) => [e.details?.secretId, e.outcome])).toEqual([
      ["aurora-restore/staging/master", "succeeded"],
      ["aurora-restore/staging/app_reader", "succeeded"],
      ["aurora-restore/staging/app_writer", "succeeded"],
    ]);
    expect(discarded.map((e) => e.details?.versionId ?? e.details?.result)).toEqual([
      expect.stringMatching(/^v\d/),
      expect.stringMatching(/^v\d/),
      "none-pending",
    ]);
    expect(entries).toContainEqual(expect.objectContaining({ action: "cleanup", outcome: "succeeded" }));
    expect(await world.observable(operation.operationId)).not.toContain("never-promoted");

    const calls = world.calls.lines.length;
    await onRestoreFailed(world.deps, event);
    expect(world.calls.lines.length).toBe(calls);
  });

  it("keeps AWSPENDING after a completed refresh, when the restored cluster holds the target name, or another operation holds the target", async () => {
    const world = await createWorld(backend());
    world.seedTargetSecrets();
    await world.secrets.port(targetLocation).putSecretValue({
      secretId: "aurora-restore/staging/master",
      secretString: JSON.stringify({ username: "postgres", password: "staged" }),
      versionStages: ["AWSPENDING"],
    });
    const pendingStays = () =>
      expect(world.secrets.staged("aurora-restore/staging/master", "AWSPENDING")).toBeDefined();

    const completed = await world.seedOperation("completed");
    await onRestoreCompleted(world.deps, completedEvent(world, completed));
    pendingStays();

    // Cutover failed while promoting: the staged versions are the credentials of the cluster now serving.
    const movedIn = await world.seedOperation("failed", {}, { "new-moved-in": "evt-1" });
    await onRestoreFailed(world.deps, failedEvent(world, movedIn));
    pendingStays();

    const failed = await world.seedOperation("failed");
    await world.store.releaseLock("222222222222/eu-west-1/staging", failed.operationId);
    await world.store.acquireLock("222222222222/eu-west-1/staging", "op-next", "2026-11-28T04:00:00.000Z");
    await onRestoreFailed(world.deps, failedEvent(world, failed));
    pendingStays();

    expect(world.calls.lines.some((c) => c.startsWith("secrets.updateSecretVersionStage"))).toBe(false);
    const kept = (await world.audit.listByOperation(failed.operationId)).find(
      (e) => e.action === "keep-pending-secrets",
    );
    expect(String(kept?.details?.reason)).toContain("op-next");
  });

  it("ignores an end event for an operation that has not ended", async () => {
    const world = await createWorld(backend());
    const operation = await world.seedOperation("verifying");

    await onRestoreFailed(world.deps, failedEvent(world, operation));

    expect(world.calls.lines).toEqual([]);
    const entries = await world.audit.listByOperation(operation.operationId);
    expect(entries).toContainEqual(
      expect.objectContaining({ action: "cleanup", outcome: "ignored-duplicate" }),
    );
  });
});
