import { describe, expect, test } from "vitest";
import type { DomainEventDetail } from "../../src/events/contract";
import { RestoreRequested } from "../../src/events/domain";
import type { Plan } from "../../src/plan/schema";
import { AwsCallError } from "../../src/ports/errors";
import { pipelineMetrics } from "../../src/stages/kit/metrics";
import { onRdsEvent } from "../../src/stages/trigger";
import { onSchedule } from "../../src/stages/watcher";
import { scheduledOperationIdFor, startScheduledPlans } from "../../src/stages/watcher/scheduled-plans";
import { useDynalite } from "../support/dynalite";
import { createWorld, makePlan, snapshotCreatedEvent, sourceLocation, type World } from "../support/world";

const backend = useDynalite();

const targetKey = "222222222222/eu-west-1/staging";
const hours = (n: number) => n * 3_600_000;

function scheduledPlan(expression: string, overrides: Record<string, unknown> = {}): Plan {
  return makePlan({ plan: { trigger: { type: "schedule", expression }, ...overrides } });
}

/** Distinct operations announced by RestoreRequested (the watcher may re-announce a stalled one). */
function requestedOperations(w: World): DomainEventDetail<typeof RestoreRequested>[] {
  const seen = new Map<string, DomainEventDetail<typeof RestoreRequested>>();
  for (const event of w.publisher.delivered(RestoreRequested))
    seen.set(event.detail.operationId, event.detail);
  return [...seen.values()];
}

/** Ends the operation as a finished refresh would: a terminal step, and the target's lock given back. */
async function finish(w: World, operationId: string) {
  const operation = (await w.store.get(operationId))!;
  await w.store.transition(operationId, {
    from: { step: operation.step, version: operation.version },
    to: "failed",
    at: w.clock.now().toISOString(),
  });
  await w.store.releaseLock(targetKey, operationId);
}

describe("watcher: plans with a schedule", () => {
  test("a rate plan starts once per period from the newest source snapshot, with trigger schedule", async () => {
    const w = await createWorld(backend(), [scheduledPlan("rate(1 day)")]);
    w.automatedSnapshot("2026-03-13-03-00", { createdAt: "2026-03-13T03:00:00.000Z" });
    const newest = w.rds.addSnapshot(sourceLocation, "before-migration", {
      clusterIdentifier: "production",
      createdAt: "2026-03-14T03:30:00.000Z",
    });
    w.rds.addSnapshot(sourceLocation, "aurora-restore-0123456789-share", {
      clusterIdentifier: "production",
      createdAt: "2026-03-14T03:45:00.000Z",
    });

    await onSchedule(w.deps, { id: "tick-1" });
    await onSchedule(w.deps, { id: "tick-2" });
    const [first, ...others] = requestedOperations(w);
    expect(others).toEqual([]);
    expect(first).toMatchObject({
      operationId: scheduledOperationIdFor({
        planId: "staging-refresh",
        targetKey,
        fireTime: new Date("2026-03-14T00:00:00.000Z"),
      }),
      trigger: "schedule",
      causationId: "tick-1",
      sourceSnapshot: { arn: newest.arn, type: "manual" },
    });
    expect(first?.requestedBy).toMatch(/^schedule rate\(1 day\)/);
    expect((await w.store.get(first!.operationId))?.trigger).toBe("schedule");
    expect(await w.auditOf(first!.operationId)).toEqual(["watcher:start-operation:started"]);

    // Not due again until a day after that run; then a new operation, even from the same snapshot.
    await finish(w, first!.operationId);
    w.clock.advance(hours(23));
    await onSchedule(w.deps, { id: "tick-3" });
    expect(requestedOperations(w)).toHaveLength(1);
    w.clock.advance(hours(1));
    await onSchedule(w.deps, { id: "tick-4" });
    const second = requestedOperations(w)[1];
    expect(second).toMatchObject({ trigger: "schedule", causationId: "tick-4" });
    expect(second?.operationId).not.toBe(first?.operationId);
    expect(second?.sourceSnapshot.arn).toBe(newest.arn);
  });

  test("a cron plan starts at its fire time, not for a slot missed before the plan had run", async () => {
    const w = await createWorld(backend(), [scheduledPlan("cron(0 3 * * ? *)")]);
    w.automatedSnapshot("2026-03-14-02-00", { createdAt: "2026-03-14T02:00:00.000Z" });
    // The clock reads 04:00: today's 03:00 is more than the 60-minute catch-up ago.
    await startScheduledPlans(w.deps, "tick-late");
    expect(requestedOperations(w)).toEqual([]);

    w.clock.advance(hours(23));
    await startScheduledPlans(w.deps, "tick-next-day");
    const [started] = requestedOperations(w);
    expect(started?.operationId).toBe(
      scheduledOperationIdFor({
        planId: "staging-refresh",
        targetKey,
        fireTime: new Date("2026-03-15T03:00:00.000Z"),
      }),
    );
    await finish(w, started!.operationId);
    await startScheduledPlans(w.deps, "tick-again");
    expect(requestedOperations(w)).toHaveLength(1);
  });

  test("a busy target is skipped without a refusal, and started once it is free", async () => {
    const w = await createWorld(backend(), [scheduledPlan("rate(6 hours)")]);
    w.automatedSnapshot("2026-03-14-03-00", { createdAt: "2026-03-14T03:00:00.000Z" });
    await w.store.acquireLock(targetKey, "op-manual", "2026-03-14T03:50:00.000Z");
    await startScheduledPlans(w.deps, "tick-busy");
    expect(requestedOperations(w)).toEqual([]);
    expect(w.metrics.total(pipelineMetrics.requestsRefused)).toBe(0);

    await w.store.releaseLock(targetKey, "op-manual");
    await startScheduledPlans(w.deps, "tick-free");
    expect(requestedOperations(w)).toHaveLength(1);
  });

  test("two runs that see the same fire time start one operation", async () => {
    const w = await createWorld(backend(), [scheduledPlan("rate(1 day)")]);
    w.automatedSnapshot("2026-03-14-03-00", { createdAt: "2026-03-14T03:00:00.000Z" });
    await Promise.all([startScheduledPlans(w.deps, "tick-a"), startScheduledPlans(w.deps, "tick-b")]);
    expect(requestedOperations(w)).toHaveLength(1);
    expect(await w.store.listByTarget(targetKey)).toHaveLength(1);
  });

  test("a source without snapshots, or one that cannot be read, skips that plan only", async () => {
    const unreadable = scheduledPlan("rate(1 hour)", { id: "unreadable" });
    const empty = scheduledPlan("rate(1 hour)", { id: "empty" });
    const w = await createWorld(backend(), [unreadable, empty]);
    w.rds.failNext("listClusterSnapshots", new AwsCallError("AccessDenied", "not authorized", "rds"));
    await startScheduledPlans(w.deps, "tick");
    expect(w.publisher.entries).toEqual([]);
    expect(w.metrics.total(pipelineMetrics.scheduleErrors)).toBe(1);
    expect(w.metrics.total(pipelineMetrics.scheduledRunsSkipped)).toBe(1);
    expect(w.logger.lines.some((l) => l.message.includes("no available snapshot"))).toBe(true);
  });

  test("every-snapshot plans are not started by the schedule; schedule plans not by snapshot events", async () => {
    const w = await createWorld(backend(), [makePlan()]);
    w.automatedSnapshot("2026-03-14-03-58", { createdAt: "2026-03-14T03:58:00.000Z" });
    await startScheduledPlans(w.deps, "tick");
    expect(w.publisher.entries).toEqual([]);

    const s = await createWorld(backend(), [scheduledPlan("rate(1 day)")]);
    const snapshot = s.automatedSnapshot();
    expect(await onRdsEvent(s.deps, snapshotCreatedEvent(snapshot))).toEqual([]);
    expect(s.publisher.entries).toEqual([]);
  });
});
