import { describe, expect, test } from "vitest";
import { ClusterConfigured, CopyCompleted, RestoreFailed, RestoreVerified } from "../../src/events/domain";
import { onClusterAvailable } from "../../src/stages/configure";
import { onSnapshotAvailable } from "../../src/stages/copy";
import { failOperation } from "../../src/stages/kit/fail";
import { pipelineMetrics } from "../../src/stages/kit/metrics";
import { republishStalledHandoffs } from "../../src/stages/kit/republish-handoffs";
import { onCopyCompleted } from "../../src/stages/restore";
import { onClusterConfigured } from "../../src/stages/verify";
import { onSchedule } from "../../src/stages/watcher";
import { useDynalite } from "../support/dynalite";
import {
  createWorld,
  healthyAnswers,
  keys,
  makePlan,
  nextHost,
  sourceLocation,
  type World,
} from "../support/world";
import { untilSnapshotAvailable } from "./chain";

const backend = useDynalite();

const minutes = (n: number) => n * 60_000;

/** A target in the source's account and region under the snapshot's key: copy publishes CopyCompleted itself. */
async function noCopyWorld() {
  const w = await createWorld(backend(), [
    makePlan({ target: { ...sourceLocation, kmsKeyId: keys.sourceCustomer } }),
  ]);
  const snapshot = w.automatedSnapshot("2026-03-14-03-00", { kmsKeyId: keys.sourceCustomer });
  return { w, ...(await untilSnapshotAvailable(w, snapshot)) };
}

/**
 * copy moves the operation to copy-completed, then its process dies before publishing: CopyCompleted is lost,
 * and nothing records that it was not published (a PutEvents that fails is recorded: see the next describe).
 */
async function copyLosesItsEvent(w: World, event: Awaited<ReturnType<typeof noCopyWorld>>["event"]) {
  w.publisher.failNext();
  await expect(onSnapshotAvailable(w.deps, event)).rejects.toThrow(/PutEvents failed/);
  const lost = (await w.store.get(event.detail.operationId))!;
  expect(lost.handoff?.publishFailed).toBe(true);
  const { publishFailed: _unrecorded, ...handoff } = lost.handoff!;
  await w.store.recordHandoff(lost.operationId, { step: lost.step, version: lost.version }, handoff);
}

describe("handoffs lost after the transition are published again by the watcher", () => {
  test("copy: a lost CopyCompleted is republished after the stall time, and restore carries on", async () => {
    const { w, operationId, event } = await noCopyWorld();
    await copyLosesItsEvent(w, event);

    const stuck = await w.store.get(operationId);
    expect(stuck?.step).toBe("copy-completed");
    expect(stuck?.handoff).toMatchObject({ step: "copy-completed", detailType: CopyCompleted.detailType });
    expect(stuck?.handoff?.detail).not.toHaveProperty("occurredAt");
    expect(w.publisher.delivered(CopyCompleted)).toHaveLength(0);

    // Before the stall time nothing is republished.
    w.clock.advance(minutes(5));
    await onSchedule(w.deps, { id: "tick-early" });
    expect(w.publisher.delivered(CopyCompleted)).toHaveLength(0);

    w.clock.advance(minutes(6));
    await onSchedule(w.deps, { id: "tick-late" });
    const republished = w.publisher.only(CopyCompleted);
    expect(republished.detail).toMatchObject({
      operationId,
      correlationId: stuck?.correlationId,
      causationId: event.id,
      snapshot: event.detail.snapshot,
    });
    expect(Date.parse(republished.detail.occurredAt)).toBeGreaterThan(Date.parse(stuck!.handoff!.recordedAt));
    expect(await w.auditOf(operationId)).toContain("watcher:republish-handoff:succeeded");
    expect(w.metrics.total(pipelineMetrics.handoffsRepublished)).toBe(1);

    await onCopyCompleted(w.deps, republished);
    expect((await w.store.get(operationId))?.step).toBe("restoring");
    expect(w.rds.callsOf("restoreClusterFromSnapshot")).toHaveLength(1);

    // The operation moved on: later ticks have nothing to republish.
    w.clock.advance(minutes(30));
    await onSchedule(w.deps, { id: "tick-after" });
    expect(w.publisher.delivered(CopyCompleted)).toHaveLength(1);
  });

  test("a republish racing a slow consumer is ignored as a duplicate; republishes stop at the limit", async () => {
    const { w, operationId, event } = await noCopyWorld();
    await copyLosesItsEvent(w, event);

    for (const tick of ["tick-1", "tick-2", "tick-3", "tick-4"]) {
      w.clock.advance(minutes(11));
      await onSchedule(w.deps, { id: tick }, { handoffRepublishLimit: 2 });
    }
    const copies = w.publisher.delivered(CopyCompleted);
    expect(copies).toHaveLength(2);
    expect((await w.store.get(operationId))?.handoff?.republished).toBe(2);

    // Both copies reach restore: the first moves the operation, the second finds it moved.
    await onCopyCompleted(w.deps, copies[0]!);
    await onCopyCompleted(w.deps, copies[1]!);
    expect((await w.store.get(operationId))?.step).toBe("restoring");
    expect(w.rds.callsOf("restoreClusterFromSnapshot")).toHaveLength(1);
    expect(await w.auditOf(operationId)).toContain("restore:restore-cluster:ignored-duplicate");
  });

  test("a PutEvents that failed is published again at the next tick, not after the stall time", async () => {
    const { w, operationId, event } = await noCopyWorld();
    w.publisher.failNext();
    await expect(onSnapshotAvailable(w.deps, event)).rejects.toThrow(/PutEvents failed/);
    expect((await w.store.get(operationId))?.handoff?.publishFailed).toBe(true);

    w.clock.advance(minutes(1));
    await onSchedule(w.deps, { id: "tick-next" });
    const republished = w.publisher.only(CopyCompleted);
    expect(republished.detail).toMatchObject({ operationId, causationId: event.id });
    expect((await w.store.get(operationId))?.handoff?.publishFailed).toBeUndefined();
    expect(await w.auditOf(operationId)).toContain("watcher:republish-handoff:succeeded");

    // Published: later ticks publish nothing more.
    await onSchedule(w.deps, { id: "tick-after" });
    expect(w.publisher.delivered(CopyCompleted)).toHaveLength(1);
  });

  test("an operation waiting on a watch is left to the watch", async () => {
    const { w, operationId, event } = await noCopyWorld();
    await copyLosesItsEvent(w, event);
    const stuck = (await w.store.get(operationId))!;
    await w.store.startWatch(stuck, {
      watchId: "slow-thing",
      kind: "cluster-deleted",
      ...sourceLocation,
      resource: "something-still-there",
      context: { publish: "none", atStep: "copy-completed" },
      createdAt: w.clock.peek().toISOString(),
    });
    w.clock.advance(minutes(30));
    await republishStalledHandoffs(w.deps, "tick-watching");
    expect(w.publisher.delivered(CopyCompleted)).toHaveLength(0);

    await w.store.dropWatch(operationId, "slow-thing");
    await republishStalledHandoffs(w.deps, "tick-free");
    expect(w.publisher.delivered(CopyCompleted)).toHaveLength(1);
  });
});

describe("an ended operation's outcome whose publish failed", () => {
  test("each redelivery that cannot publish it fails again, until one does (the watcher does not look at ended operations)", async () => {
    const { w, operationId, event } = await noCopyWorld();
    const operation = (await w.store.get(operationId))!;
    w.publisher.failNext();
    await expect(failOperation(w.deps, operation, "copy", new Error("boom"), event.id)).rejects.toThrow(
      /PutEvents failed/,
    );
    expect((await w.store.get(operationId))?.handoff).toMatchObject({
      detailType: RestoreFailed.detailType,
      publishFailed: true,
    });

    // The bus redelivers the event; its publish fails again: the delivery must fail, or nobody publishes it.
    w.publisher.failNext();
    await expect(onSnapshotAvailable(w.deps, event)).rejects.toThrow(/PutEvents failed/);
    await onSchedule(w.deps, { id: "tick-ended" });
    expect(w.publisher.delivered(RestoreFailed)).toHaveLength(0);

    await onSnapshotAvailable(w.deps, event);
    expect(w.publisher.only(RestoreFailed).detail).toMatchObject({ operationId, causationId: event.id });
    expect((await w.store.get(operationId))?.handoff?.publishFailed).toBeUndefined();

    // Published: another redelivery publishes nothing more.
    await onSnapshotAvailable(w.deps, event);
    expect(w.publisher.delivered(RestoreFailed)).toHaveLength(1);
  });
});

/** The next cluster available and its database reachable: what configure receives ClusterAvailable for. */
async function configureWorld() {
  const world = await createWorld(backend());
  const { operation, event: available } = await world.nextClusterAvailable();
  world.database.passwordDelayLogins = 0;
  return { world, deps: world.deps, operation, available };
}

describe("configure: a lost ClusterConfigured", () => {
  test("is published again by the redelivered ClusterAvailable, verify carries on, and a duplicate does nothing twice", async () => {
    const { world, deps, operation, available } = await configureWorld();
    world.publisher.failNext();
    await expect(onClusterAvailable(deps, available)).rejects.toThrow(/PutEvents failed/);
    expect(world.publisher.delivered(ClusterConfigured)).toHaveLength(0);
    const stuck = await world.store.get(operation.operationId);
    expect(stuck?.step).toBe("configured");
    expect(stuck?.handoff).toMatchObject({
      step: "configured",
      detailType: ClusterConfigured.detailType,
      publishFailed: true,
    });
    // Events carry secret ARNs, never values: neither does the handoff.
    for (const password of world.passwords) expect(JSON.stringify(stuck?.handoff)).not.toContain(password);

    // The bus delivers ClusterAvailable again: it finds the operation configured, configures nothing again,
    // and publishes the recorded ClusterConfigured whose PutEvents had failed.
    const connectsBefore = world.database.connects.length;
    await onClusterAvailable(deps, available);
    expect(world.database.connects).toHaveLength(connectsBefore);
    const [published] = world.publisher.delivered(ClusterConfigured);
    expect(published?.detail).toMatchObject({
      operationId: operation.operationId,
      causationId: available.id,
      masterSecretArn: stuck?.outputs.masterSecretArn,
      endpoint: { host: nextHost, port: 5432 },
    });
    const republished = published!;
    const entries = await world.audit.listByOperation(operation.operationId);
    expect(entries).toContainEqual(
      expect.objectContaining({
        stage: "configure",
        outcome: "ignored-duplicate",
        eventId: available.id,
        details: expect.objectContaining({ republished: ClusterConfigured.detailType }),
      }),
    );
    expect((await world.store.get(operation.operationId))?.handoff?.publishFailed).toBeUndefined();

    world.database.answer = healthyAnswers;
    await onClusterConfigured(deps, republished);
    expect((await world.store.get(operation.operationId))?.step).toBe("verified");
    const connects = world.database.connects.length;

    // A second copy of the event (another delivery or republish) finds the operation verified: ignored.
    await onClusterConfigured(deps, { ...republished, id: "another-delivery" });
    expect(world.publisher.delivered(RestoreVerified)).toHaveLength(1);
    expect(world.database.connects).toHaveLength(connects);

    // verify recorded its own handoff in the transition: RestoreVerified would be republished the same way.
    expect((await world.store.get(operation.operationId))?.handoff).toMatchObject({
      step: "verified",
      detailType: RestoreVerified.detailType,
    });
  });
});
