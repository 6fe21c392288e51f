import { describe, expect, it } from "vitest";
import { RestoreCompleted, RestoreFailed } from "../../src/events/domain";
import type { OperationStep } from "../../src/operation/steps";
import { onRestoreCompleted, onRestoreFailed, stageDurations } from "../../src/stages/notify";
import type { OperationInfo } from "../../src/storage/operations";
import { useDynalite } from "../support/dynalite";
import { endpointOf } from "../support/fake-arns";
import { createWorld, target, type World } from "../support/world";

const backend = useDynalite();

/** Walks an operation through the stages at known times so its durations are predictable. */
async function walk(world: World, operation: OperationInfo, steps: [OperationStep, string][]) {
  let current = operation;
  for (const [to, at] of steps) {
    current = await world.store.transition(current.operationId, {
      from: { step: current.step, version: current.version },
      to,
      at,
      outputs: to === "verified" ? { checksPassed: ["orders rows", "emails masked"] } : {},
    });
  }
  return current;
}

const finished: [OperationStep, string][] = [
  ["copying", "2026-11-28T03:00:10.000Z"],
  ["restoring", "2026-11-28T03:20:10.000Z"],
  ["configuring", "2026-11-28T04:05:10.000Z"],
  ["verifying", "2026-11-28T04:06:00.000Z"],
  ["verified", "2026-11-28T04:06:30.000Z"],
  ["cutting-over", "2026-11-28T04:06:31.000Z"],
  ["completed", "2026-11-28T04:10:31.000Z"],
];

describe("notify", () => {
  it("publishes a summary with operation, plan, target, status and stage durations to the plan's topic", async () => {
    const world = await createWorld(backend());
    const operation = await walk(world, await world.seedOperation("requested"), finished);
    const event = world.deliver(RestoreCompleted, {
      ...world.meta(operation),
      planId: operation.planId,
      target,
      endpoint: { host: endpointOf("staging", "eu-west-1"), port: 5432 },
      replacedClusterIdentifier: "staging-old-abc",
    });

    await onRestoreCompleted(world.deps, event);

    expect(world.sns.published).toHaveLength(1);
    const [sent] = world.sns.published;
    expect(sent?.topicArn).toBe("arn:aws:sns:eu-west-1:222222222222:aurora-restore");
    expect(sent?.subject).toBe("aurora-restore: staging refresh succeeded");
    expect(sent?.attributes).toEqual({
      operationId: operation.operationId,
      planId: "staging-refresh",
      status: "succeeded",
    });
    const message = sent?.message ?? "";
    expect(message).toContain(`Operation: ${operation.operationId}`);
    expect(message).toContain("Plan: staging-refresh");
    expect(message).toContain("Target: staging (account 222222222222, eu-west-1)");
    expect(message).toContain("Status: succeeded");
    expect(message).toContain("Endpoint: staging.cluster-fake.eu-west-1.rds.amazonaws.com:5432");
    expect(message).toContain("Replaced cluster: staging-old-abc");
    expect(message).toContain("secret aurora-restore/staging/app_reader (app_reader)");
    expect(message).toContain("Checks passed: orders rows, emails masked");
    expect(message).toMatch(/copy\s+20m 0s/);
    expect(message).toMatch(/restore\s+45m 0s/);
    expect(message).toMatch(/verify\s+31s/);
    expect(message).toMatch(/cutover\s+4m 0s/);
    expect(stageDurations(operation).map((s) => s.name)).toEqual([
      "trigger",
      "copy",
      "restore",
      "configure",
      "verify",
      "cutover",
    ]);
    const audited = await world.audit.listByOperation(operation.operationId);
    expect(audited).toContainEqual(
      expect.objectContaining({ action: "notify", outcome: "succeeded", eventId: event.id }),
    );
  });

  it("reports the failed stage and error", async () => {
    const world = await createWorld(backend());
    const operation = await walk(world, await world.seedOperation("requested"), [
      ["copying", "2026-11-28T03:00:10.000Z"],
      ["failed", "2026-11-28T03:05:10.000Z"],
    ]);
    const event = world.deliver(RestoreFailed, {
      ...world.meta(operation),
      planId: operation.planId,
      target,
      stage: "copy",
      errorCode: "KMSKeyNotAccessibleFault",
      message: "The target key does not let the pipeline use it; grant kms:CreateGrant.",
    });

    await onRestoreFailed(world.deps, event);

    const [sent] = world.sns.published;
    expect(sent?.subject).toBe("aurora-restore: staging refresh failed");
    expect(sent?.message).toContain("Failed stage: copy");
    expect(sent?.message).toContain(
      "Error: KMSKeyNotAccessibleFault: The target key does not let the pipeline use it",
    );
    expect(sent?.message).toMatch(/copy\s+5m 0s/);
  });

  it("publishes once per event: a replay of a notified event is ignored", async () => {
    const world = await createWorld(backend());
    const operation = await walk(world, await world.seedOperation("requested"), finished);
    const event = world.deliver(RestoreCompleted, {
      ...world.meta(operation),
      planId: operation.planId,
      target,
      endpoint: { host: endpointOf("staging", "eu-west-1"), port: 5432 },
    });

    await onRestoreCompleted(world.deps, event);
    await onRestoreCompleted(world.deps, { ...event, replayName: "replay-1" });

    expect(world.sns.published).toHaveLength(1);
    const ignored = (await world.audit.listByOperation(operation.operationId)).filter(
      (e) => e.action === "notify" && e.outcome === "ignored-duplicate",
    );
    expect(ignored).toHaveLength(1);
  });
});
