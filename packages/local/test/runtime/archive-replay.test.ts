import { rdsEventIds } from "@aurora-restore/core/events/rds";
import { rdsArchivePattern } from "@aurora-restore/core/wiring/archives";
import { stages } from "@aurora-restore/functions/stages";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replayArchives } from "../../src/runtime/archive-replay";
import { listAllOperations } from "../../src/runtime/open-state";
import { baselineRefresh } from "../reliability/support/baseline";
import { type ReliabilityWorld, startReliabilityWorld } from "../reliability/support/world";

/**
 * `aurora-restore replay` on the local runtime (instant clusters): both archives, replayed after a refresh
 * ended, change nothing and report each event as a no-op; a snapshot event no plan wanted when it came
 * starts a refresh when it is replayed after the plan was added.
 */
describe("replaying the local archives", () => {
  let world: ReliabilityWorld;
  let startedAt: Date;

  beforeAll(async () => {
    startedAt = new Date(Date.now() - 1_000);
    world = await startReliabilityWorld();
    await baselineRefresh(world);
  }, 120_000);

  afterAll(async () => {
    await world?.stop();
  });

  const window = () => ({ from: startedAt, to: new Date(Date.now() + 1_000) });

  it("the runtime archives the RDS events the stages subscribe to on the default bus, with the declared pattern", () => {
    const { archives, pipelineDefaultBus, pipelineBus } = world.runtime;
    expect(archives.pipeline.eventSourceArn).toBe(pipelineBus.arn);
    expect(archives.rds?.eventSourceArn).toBe(pipelineDefaultBus.arn);
    expect(JSON.parse(archives.rds!.eventPattern!)).toEqual(rdsArchivePattern(stages));
    expect(archives.rds!.retentionDays).toBe(archives.pipeline.retentionDays);
    const archived = world.runtime.bridge.archivedEvents(archives.rds!.archiveName);
    // The source account's snapshot event, forwarded to the pipeline account's default bus.
    expect(archived.map((a) => a.event.detail.EventID)).toContain(rdsEventIds.automatedSnapshotCreated);
  });

  it("a replay of both archives after the refresh ended changes nothing and reports every event as a no-op", async () => {
    const operations = await listAllOperations(world.runtime.store);
    const audit = await world.runtime.audit.listByOperation(operations[0]!.operationId);
    const deadLetters = world.runtime.bridge.listDeadLetters().length;
    const progress: string[] = [];

    const result = await replayArchives(world.runtime, {
      ...window(),
      archives: ["rds", "pipeline"],
      onProgress: (r) => progress.push(`${r.archive} ${r.state}`),
    });

    expect(result.replays.map((r) => [r.archive, r.state])).toEqual([
      ["rds", "COMPLETED"],
      ["pipeline", "COMPLETED"],
    ]);
    expect(progress).toContain("rds COMPLETED");
    expect(result.outcomes.length).toBeGreaterThan(10);
    const byKind = new Set(result.outcomes.map((o) => o.kind));
    expect([...byKind].filter((k) => k !== "ignored-duplicate" && k !== "no-effect")).toEqual([]);
    expect(result.outcomes.filter((o) => o.archive === "pipeline").map((o) => o.kind)).toEqual(
      result.outcomes.filter((o) => o.archive === "pipeline").map(() => "ignored-duplicate"),
    );
    const snapshotEvent = result.outcomes.find((o) => o.eventId === operations[0]!.correlationId);
    expect(snapshotEvent).toMatchObject({ archive: "rds", kind: "ignored-duplicate", changed: false });
    expect(snapshotEvent?.effects).toEqual([
      expect.objectContaining({
        operationId: operations[0]!.operationId,
        reason: "the operation already completed",
      }),
    ]);
    expect(result.sideEffects).toEqual({});
    expect(await listAllOperations(world.runtime.store)).toEqual(operations);
    const after = await world.runtime.audit.listByOperation(operations[0]!.operationId);
    expect(after.slice(0, audit.length)).toEqual(audit);
    expect(world.runtime.bridge.listDeadLetters()).toHaveLength(deadLetters);
  }, 60_000);

  it("--operation reports only that operation's events", async () => {
    const [operation] = await listAllOperations(world.runtime.store);
    const result = await replayArchives(world.runtime, {
      ...window(),
      archives: ["rds", "pipeline"],
      operationId: operation!.operationId,
    });
    expect(result.outcomes.length).toBeGreaterThan(5);
    for (const outcome of result.outcomes) {
      const names =
        outcome.operationId === operation!.operationId || outcome.eventId === operation!.correlationId;
      expect(names, outcome.detailType).toBe(true);
    }
  }, 60_000);

  it("a snapshot event no plan wanted when it came starts a refresh when replayed after the plan was added", async () => {
    const from = new Date(Math.floor(Date.now() / 1000) * 1000);
    await world.snapshot("missed-1");
    await world.runtime.idle();
    expect((await listAllOperations(world.runtime.store)).filter((o) => o.planId === "missed")).toEqual([]);
    await world.plan("missed", "missed", 1);

    const result = await replayArchives(world.runtime, {
      from,
      to: new Date(Date.now() + 1_000),
      archives: ["rds"],
    });

    const snapshot = result.outcomes.find((o) => o.kind === "started");
    expect(snapshot).toBeDefined();
    const [operation] = await world.ended("missed", 1, 60_000);
    expect(operation?.status).toBe("succeeded");
    expect(snapshot?.effects).toEqual([
      expect.objectContaining({ kind: "started", operationId: operation!.operationId, changed: true }),
    ]);
  }, 120_000);
});
