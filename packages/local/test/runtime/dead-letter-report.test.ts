import { RestoreCompleted } from "@aurora-restore/core/events/domain";
import { describeOutcome } from "@aurora-restore/core/operation/event-outcomes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redriveAndReport } from "../../src/runtime/dead-letter-report";
import { listAllOperations } from "../../src/runtime/open-state";
import { importStageHandler } from "../../src/runtime/stage-wiring";
import { type ReliabilityWorld, startReliabilityWorld } from "../reliability/support/world";

/**
 * `local dlq redrive`'s report on instant clusters: configure is down, so its event is dead-lettered and the
 * refresh stops after restore; re-driven once configure is back, the event resumes the operation there.
 */
describe("re-driving dead letters", () => {
  const down = new Set<string>();
  let world: ReliabilityWorld;

  beforeAll(async () => {
    world = await startReliabilityWorld({
      loadHandler: async (stage) => {
        const real = await importStageHandler(stage);
        return {
          handle: (event, deps) =>
            down.has(stage.name)
              ? Promise.reject(new Error(`${stage.name} is down`))
              : real.handle(event, deps),
        };
      },
      deliveryRetryPolicy: { maximumRetryAttempts: 0 },
    });
  }, 60_000);

  afterAll(async () => {
    await world?.stop();
  });

  it("reports a re-driven event that resumes its operation, which then completes", async () => {
    down.add("configure");
    await world.plan("stuck", "stuck", 1);
    await world.snapshot("stuck-1");
    await expect
      .poll(() => world.runtime.bridge.listDeadLetters().map((m) => m.targetId), { timeout: 30_000 })
      .toEqual(["configure"]);
    const [stuck] = await listAllOperations(world.runtime.store);
    expect(stuck?.status).toBe("running");
    down.clear();

    const report = await redriveAndReport(world.runtime);

    expect(report.skipped).toEqual([]);
    expect(report.redriven).toHaveLength(1);
    const [redriven] = report.redriven;
    expect(redriven?.targetId).toBe("configure");
    expect(redriven?.outcome).toMatchObject({
      kind: "resumed",
      changed: true,
      operationId: stuck!.operationId,
    });
    expect(describeOutcome(redriven!.outcome)).toBe(`resumed ${stuck!.operationId} at configure`);
    const [ended] = await world.ended("stuck", 1, 60_000);
    expect(ended?.status).toBe("succeeded");
  }, 120_000);

  it("reports a re-driven event that fails again, back in the queue, as changing nothing", async () => {
    const [operation] = await listAllOperations(world.runtime.store);
    // notify is down while the operation's outcome is re-sent: its delivery is dead-lettered.
    down.add("notify");
    const archive = world.runtime.archives.pipeline;
    const completed = world.runtime.bridge
      .archivedEvents(archive.archiveName)
      .find(
        (a) =>
          a.event["detail-type"] === RestoreCompleted.detailType &&
          a.event.detail.operationId === operation!.operationId,
      )!;
    world.runtime.bridge.startReplay({
      replayName: "notify-down",
      eventSourceArn: archive.archiveArn,
      eventStartTime: new Date(Date.parse(completed.event.time)),
      eventEndTime: new Date(Date.parse(completed.event.time) + 1_000),
      destination: { arn: archive.eventSourceArn },
    });
    await world.runtime.idle();
    const dead = world.runtime.bridge.listDeadLetters().filter((m) => m.targetId === "notify");
    expect(dead.map((m) => m.event.id)).toContain(completed.event.id);

    const again = await redriveAndReport(world.runtime, { messageIds: dead.map((m) => m.messageId) });
    expect(again.redriven.map((r) => [r.targetId, r.outcome.kind, r.outcome.changed])).toEqual(
      dead.map(() => ["notify", "failed", false]),
    );
    expect(describeOutcome(again.redriven[0]!.outcome, { again: true })).toBe("failed again: notify is down");
    expect(again.leftInQueue).toBe(dead.length);

    down.clear();
    const fixed = await redriveAndReport(world.runtime);
    expect(fixed.redriven.map((r) => describeOutcome(r.outcome))).toEqual(
      dead.map(() => "ignored duplicate: already notified"),
    );
    expect(fixed.leftInQueue).toBe(0);
  }, 60_000);
});
