import { describe, expect, test } from "vitest";
import { CopyCompleted } from "../../src/events/domain";
import { AwsCallError } from "../../src/ports/errors";
import { onSnapshotAvailable } from "../../src/stages/copy";
import {
  firstCheckAt,
  nextCheckAfter,
  WatchChecks,
  watchCheckBackoff,
  watchChecksOf,
} from "../../src/stages/kit/watch-schedule";
import { checkWatches, onResourcesChanged, onSchedule } from "../../src/stages/watcher";
import { useDynalite } from "../support/dynalite";
import { createWorld, makePlan, targetLocation, type World } from "../support/world";
import { untilSnapshotAvailable } from "./chain";

const backend = useDynalite();
const at = (iso: string) => new Date(iso);

async function copying(w: World) {
  const { operationId, event } = await untilSnapshotAvailable(w);
  await onSnapshotAvailable(w.deps, event);
  const { watch } = (await w.store.get(operationId))!;
  return { operationId, watch: watch! };
}

const describes = (w: World) => w.rds.callsOf("describeClusterSnapshot").length;

describe("a watch's own check schedule", () => {
  test("the first check comes soon after the watch is added, then the gap doubles up to the cap", () => {
    const t = at("2026-03-14T04:00:00.000Z");
    expect(firstCheckAt(t)).toBe("2026-03-14T04:00:01.000Z");
    const gaps = [0, 1, 2, 3, 4, 5, 6, 10].map(
      (checks) => Date.parse(nextCheckAfter(t, checks)) - t.getTime(),
    );
    expect(gaps).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect(watchCheckBackoff.maxDelayMs).toBeLessThan(60_000);
  });

  test("a watch is due from its first check time on; each busy check pushes the next one back, doubling", () => {
    const checks = new WatchChecks();
    const watch = { watchId: "copy", createdAt: "2026-03-14T04:00:00.000Z" };
    expect(checks.isDue("op", watch, at("2026-03-14T04:00:00.999Z"))).toBe(false);
    expect(checks.isDue("op", watch, at("2026-03-14T04:00:01.000Z"))).toBe(true);
    let now = at("2026-03-14T04:00:01.000Z");
    const gaps: number[] = [];
    for (let k = 0; k < 4; k++) {
      const next = checks.busy("op", watch, now);
      gaps.push(Date.parse(next) - now.getTime());
      expect(checks.isDue("op", watch, new Date(Date.parse(next) - 1))).toBe(false);
      expect(checks.isDue("op", watch, at(next))).toBe(true);
      now = at(next);
    }
    expect(gaps).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(checks.checksOf("op", watch)).toBe(4);
    // The same id added again is another wait: its own schedule.
    expect(checks.checksOf("op", { ...watch, createdAt: "2026-03-14T05:00:00.000Z" })).toBe(0);
  });

  test("two runs of one process never check one watch at once", () => {
    const checks = new WatchChecks();
    const watch = { watchId: "copy", createdAt: "2026-03-14T04:00:00.000Z" };
    expect(checks.begin("op", watch)).toBe(true);
    expect(checks.begin("op", watch)).toBe(false);
    checks.end("op", watch);
    expect(checks.begin("op", watch)).toBe(true);
  });

  test("a busy check writes nothing: the schedule is the watcher process's", async () => {
    const w = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const { operationId, watch } = await copying(w);
    const before = (await w.store.get(operationId))!;
    for (let k = 0; k < 4; k++) await checkWatches(w.deps, `busy-${k}`);
    expect(watchChecksOf(w.store).checksOf(operationId, watch)).toBe(4);
    expect((await w.store.get(operationId))?.updatedAt).toBe(before.updatedAt);
  });

  test("a scheduled run describes only the watches that are due", async () => {
    const w = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const { operationId } = await copying(w);
    for (let k = 0; k < 4; k++) await checkWatches(w.deps, `busy-${k}`);
    const before = describes(w);
    w.rds.settle();
    await onSchedule(w.deps, { id: "tick-early" });
    expect(describes(w)).toBe(before);
    expect(w.publisher.delivered(CopyCompleted)).toHaveLength(0);

    w.clock.advance(watchCheckBackoff.maxDelayMs);
    await onSchedule(w.deps, { id: "tick-due" });
    expect(describes(w)).toBe(before + 1);
    expect(w.publisher.only(CopyCompleted).detail.operationId).toBe(operationId);
  });

  test("a check that fails is due again soon, not at the back-off's later time", async () => {
    const w = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const { operationId } = await copying(w);
    for (let k = 0; k < 4; k++) await checkWatches(w.deps, `busy-${k}`);
    w.rds.failNext(
      "describeClusterSnapshot",
      new AwsCallError("ThrottlingException", "Rate exceeded", "rds"),
    );
    await checkWatches(w.deps, "throttled");
    const { watch } = (await w.store.get(operationId))!;
    const schedule = watchChecksOf(w.store);
    expect(schedule.isDue(operationId, watch!, w.clock.peek())).toBe(false);
    w.clock.advance(watchCheckBackoff.firstDelayMs);
    expect(schedule.isDue(operationId, watch!, w.clock.peek())).toBe(true);
  });
});

describe("watcher: woken for a changed resource (the local runtime's hint)", () => {
  test("looks at the watches on that resource in that account and region only, whatever their schedule", async () => {
    const w = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const { watch } = await copying(w);
    for (let k = 0; k < 4; k++) await checkWatches(w.deps, `busy-${k}`);
    w.rds.settle();
    const before = describes(w);

    await onResourcesChanged(w.deps, [{ ...targetLocation, identifier: "another-snapshot" }], "hint-other");
    await onResourcesChanged(
      w.deps,
      [{ accountId: "999999999999", region: targetLocation.region, identifier: watch.resource }],
      "hint-elsewhere",
    );
    expect(describes(w)).toBe(before);

    await onResourcesChanged(w.deps, [{ ...targetLocation, identifier: watch.resource }], "hint-copy");
    expect(describes(w)).toBe(before + 1);
    expect(w.publisher.only(CopyCompleted).detail.causationId).toBe("hint-copy");
    // A second hint for the same change finds no watch: nothing is described or published again.
    await onResourcesChanged(w.deps, [{ ...targetLocation, identifier: watch.resource }], "hint-again");
    expect(describes(w)).toBe(before + 1);
    expect(w.publisher.delivered(CopyCompleted)).toHaveLength(1);
  });

  test("describes a resource once per run however many operations wait on it", async () => {
    const w = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const { operationId, watch } = await copying(w);
    // A second operation waiting on the same copy (as targets sharing one copy do).
    const { step: _s, version: _v, ...first } = (await w.store.get(operationId))!;
    await w.store.create({ ...first, operationId: "op-sharing" }, "2026-03-14T04:00:00.000Z");
    const sharing = (await w.store.get("op-sharing"))!;
    const moved = await w.store.transition("op-sharing", {
      from: { step: sharing.step, version: sharing.version },
      to: "copying",
      at: "2026-03-14T04:00:00.000Z",
    });
    await w.store.startWatch(moved, watch);
    const before = describes(w);
    await checkWatches(w.deps, "busy");
    expect(describes(w)).toBe(before + 1);
    expect(watchChecksOf(w.store).checksOf(operationId, watch)).toBe(1);
    expect(watchChecksOf(w.store).checksOf("op-sharing", watch)).toBe(1);
  });
});
