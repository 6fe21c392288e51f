import { RDS_SOURCE, rdsDetailTypes } from "@aurora-restore/core/events/rds";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ReliabilityWorld, startReliabilityWorld } from "../reliability/support/world";

/**
 * The local RDS wakes the watcher for the very resource that changed: a refresh whose watcher never runs on
 * its schedule (an hour) and never hears of a cluster or instance (RDS's events dropped) still goes through
 * its snapshot copies, restore, instances and renames, every watch completed by a wake-up.
 */
describe("[slow] local runtime: the watcher woken by the local RDS", () => {
  let world: ReliabilityWorld;
  const wakeupRuns = new Set<string>();
  let dropped = 0;

  beforeAll(async () => {
    world = await startReliabilityWorld({ watcherIntervalMs: 3_600_000 });
    world.runtime.watcherWakeups.observe((runId) => wakeupRuns.add(runId));
    const bridge = world.runtime.bridge;
    const putEvents = bridge.putEvents.bind(bridge);
    bridge.putEvents = async (entries, sender, options) => {
      const resourceEvent = entries.every(
        (e) => e.DetailType === rdsDetailTypes.cluster || e.DetailType === rdsDetailTypes.instance,
      );
      if (options?.awsServiceSource === RDS_SOURCE && resourceEvent) {
        dropped += entries.length;
        return {
          FailedEntryCount: 0,
          Entries: entries.map((_, i) => ({ EventId: `dropped-${dropped}-${i}` })),
        };
      }
      return putEvents(entries, sender, options);
    };
  });

  afterAll(async () => {
    await world?.stop();
  }, 60_000);

  it("completes a refresh with no scheduled run and no RDS resource event", async () => {
    await world.plan("woken", "woken", 1);
    await world.snapshot("woken-1");
    const [operation] = await world.ended("woken", 1, 60_000);
    await world.runtime.idle();
    expect(operation?.error).toBeUndefined();
    expect(operation?.status).toBe("succeeded");
    expect(dropped).toBeGreaterThan(0);

    const trail = await world.runtime.audit.listByOperation(operation!.operationId);
    const watches = trail.filter((e) => e.stage === "watcher" && e.action.startsWith("watch "));
    // The shareable copy, both hops, the restore, the instances, the renames: each noticed by a wake-up.
    expect(watches.length).toBeGreaterThanOrEqual(5);
    for (const entry of watches) expect(wakeupRuns.has(entry.eventId ?? "")).toBe(true);
  });
});
