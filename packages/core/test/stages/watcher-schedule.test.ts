import { describe, expect, test } from "vitest";
import { CopyCompleted } from "../../src/events/domain";
import { AwsCallError } from "../../src/ports/errors";
import { onSnapshotAvailable } from "../../src/stages/copy";
import {
  firstCheckAt,
  isCheckDue,
  nextCheckAfter,
  watchCheckBackoff,
} from "../../src/stages/kit/watch-schedule";
import { addWatch } from "../../src/stages/kit/watches";
import { checkWatches, onResourcesChanged, onSchedule } from "../../src/stages/watcher";
import { useDynalite } from "../support/dynalite";
import { createWorld, makePlan, targetLocation, type World } from "../support/world";
import { untilSnapshotAvailable } from "./chain";

const backend = useDynalite();
const at = (iso: string) => new Date(iso);

async function copying(w: World) {
  const { operationId, event } = await untilSnapshotAvailable(w);
  await onSnapshotAvailable(w.deps, event);
  const [watch] = await w.store.watchesOf(operationId);
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

  test("a watch is due once its time has come; one without a time always is", () => {
    const t = at("2026-03-14T04:00:10.000Z");
    expect(isCheckDue({ nextCheckAt: "2026-03-14T04:00:10.000Z" }, t)).toBe(true);
    expect(isCheckDue({ nextCheckAt: "2026-03-14T04:00:10.001Z" }, t)).toBe(false);
    expect(isCheckDue({}, t)).toBe(true);
  });

  test("a new watch has its first check time; each busy check pushes the next one back, doubling", async () => {
    const w = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const { operationId, watch } = await copying(w);
    expect(Date.parse(watch.nextCheckAt!) - Date.parse(watch.createdAt)).toBe(watchCheckBackoff.firstDelayMs);
    const gaps: number[] = [];
    for (let k = 0; k < 4; k++) {
      await checkWatches(w.deps, `busy-${k}`);
      const [busy] = await w.store.watchesOf(operationId);
      gaps.push(Date.parse(busy!.nextCheckAt!) - Date.parse(busy!.lastCheckedAt!));
      expect(busy?.checks).toBe(k + 1);
    }
    expect(gaps).toEqual([1_000, 2_000, 4_000, 8_000]);
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
    const [watch] = await w.store.watchesOf(operationId);
    expect(Date.parse(watch!.nextCheckAt!) - w.clock.peek().getTime()).toBeLessThanOrEqual(
      watchCheckBackoff.firstDelayMs,
    );
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

  test("describes a resource once per run however many watches name it", async () => {
    const w = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const { operationId, watch } = await copying(w);
    const operation = (await w.store.get(operationId))!;
    await addWatch(w.deps, operation, {
      watchId: "same-copy-audit",
      kind: "snapshot-copy",
      scope: targetLocation,
      resource: watch.resource,
      publish: "none",
      atStep: "copying",
    });
    const before = describes(w);
    await checkWatches(w.deps, "busy");
    expect(describes(w)).toBe(before + 1);
    expect((await w.store.watchesOf(operationId)).map((x) => x.checks)).toEqual([1, 1]);
  });
});
