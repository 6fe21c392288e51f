import { describe, expect, test } from "vitest";
import { CopyCompleted } from "../../src/events/domain";
import { onSnapshotAvailable } from "../../src/stages/copy";
import { waitsOnWatch } from "../../src/stages/kit/claim";
import { onSchedule } from "../../src/stages/watcher";
import type { PendingWatch } from "../../src/storage/pending-watch";
import { legacyWatchEntity } from "../../src/storage/watch-entity";
import { useDynalite } from "../support/dynalite";
import { createWorld, makePlan, type World } from "../support/world";
import { untilSnapshotAvailable } from "./chain";

const backend = useDynalite();

/**
 * An operation in flight while the pipeline is upgraded: its stage wrote its watch as an item of its own (as
 * before watches moved onto the operation item). Built from a copying operation by moving its watch back out.
 */
async function waitingOnAWatchItem(w: World, change: Partial<PendingWatch> = {}) {
  const { operationId, event } = await untilSnapshotAvailable(w);
  await onSnapshotAvailable(w.deps, event);
  const { watch } = (await w.store.get(operationId))!;
  await w.store.dropWatch(operationId, watch!.watchId);
  const legacy = { ...watch!, ...change };
  await legacyWatchEntity(w.client, w.stateTable)
    .create({
      operationId,
      watchId: legacy.watchId,
      kind: legacy.kind,
      accountId: legacy.accountId,
      region: legacy.region,
      resource: legacy.resource,
      context: legacy.context,
      state: "pending",
      createdAt: legacy.createdAt,
    })
    .go();
  return { operationId, legacy };
}

describe("watch items of an earlier version (an operation in flight during the upgrade)", () => {
  test("hold a duplicate delivery like a watch on the operation, then the watcher's first tick moves it there and ends it once", async () => {
    const w = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const { operationId } = await waitingOnAWatchItem(w);
    expect(await waitsOnWatch(w.deps, (await w.store.get(operationId))!)).toBe(true);

    w.rds.settle();
    await onSchedule(w.deps, { id: "tick-1" });
    expect(await w.store.legacyPendingWatches()).toHaveLength(0);
    expect(w.publisher.only(CopyCompleted).detail.operationId).toBe(operationId);
    expect((await w.store.get(operationId))?.step).toBe("copy-completed");

    await onSchedule(w.deps, { id: "tick-2" });
    expect(w.publisher.delivered(CopyCompleted)).toHaveLength(1);
  });

  test("one whose operation moved on is removed, nothing published", async () => {
    const w = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const { operationId } = await waitingOnAWatchItem(w);
    const operation = (await w.store.get(operationId))!;
    await w.store.transition(operationId, {
      from: { step: operation.step, version: operation.version },
      to: "failed",
      at: w.clock.peek().toISOString(),
    });
    w.rds.settle();
    await onSchedule(w.deps, { id: "tick" });
    expect(await w.store.legacyPendingWatches()).toHaveLength(0);
    expect((await w.store.get(operationId))?.watch).toBeUndefined();
    expect(w.publisher.delivered(CopyCompleted)).toHaveLength(0);
  });

  test("one the watcher already ended (its handoff names it: moved, then the process died) is removed, not published again", async () => {
    const w = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const { operationId, legacy } = await waitingOnAWatchItem(w, {
      watchId: "shared-copy-audit",
      context: { publish: "none", atStep: "copying" },
    });
    const operation = (await w.store.get(operationId))!;
    await w.store.recordHandoff(
      operationId,
      { step: operation.step, version: operation.version },
      { ...operation.handoff!, step: "copying", watchId: legacy.watchId },
    );
    w.rds.settle();
    await onSchedule(w.deps, { id: "tick" });
    expect(await w.store.legacyPendingWatches()).toHaveLength(0);
    expect((await w.store.get(operationId))?.watch).toBeUndefined();
    expect(await w.auditOf(operationId)).not.toContain("watcher:watch shared-copy-audit:succeeded");
  });
});
