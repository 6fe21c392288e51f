import { describe, expect, test } from "vitest";
import { ClusterRenamed, CopyCompleted, RestoreFailed, RestoreRequested } from "../../src/events/domain";
import { RDS_SOURCE, rdsDetailTypes, rdsEventIds, rdsEventSchema } from "../../src/events/rds";
import { operationIdFor } from "../../src/operation/ids";
import { AwsCallError } from "../../src/ports/errors";
import { onSnapshotAvailable } from "../../src/stages/copy";
import { pipelineMetrics } from "../../src/stages/kit/metrics";
import { watchChecksOf } from "../../src/stages/kit/watch-schedule";
import { startWatch } from "../../src/stages/kit/watches";
import * as trigger from "../../src/stages/trigger";
import { checkWatches, onRdsEvent, onSchedule } from "../../src/stages/watcher";
import { useDynalite } from "../support/dynalite";
import {
  createWorld,
  makePlan,
  snapshotCreatedEvent,
  sourceLocation,
  targetLocation,
  type World,
} from "../support/world";
import { untilSnapshotAvailable } from "./chain";

const backend = useDynalite();

const targetKey = "222222222222/eu-west-1/staging";
const minutes = (n: number) => n * 60_000;

async function copying(w: World) {
  const { operationId, event } = await untilSnapshotAvailable(w);
  await onSnapshotAvailable(w.deps, event);
  return operationId;
}

describe("watcher: watches", () => {
  test("a transition ends the wait it was in: the watch of an operation that failed is gone, nothing is published", async () => {
    const w = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const operationId = await copying(w);
    const operation = (await w.store.get(operationId))!;
    expect(operation.watch?.watchId).toBe("target-copy");
    await w.store.transition(operationId, {
      from: { step: operation.step, version: operation.version },
      to: "failed",
      at: "2026-03-14T04:30:00.000Z",
    });
    expect((await w.store.get(operationId))?.watch).toBeUndefined();
    w.rds.settle();
    await checkWatches(w.deps, "tick");
    expect(w.publisher.delivered(CopyCompleted)).toHaveLength(0);
    expect(await w.store.waitingOnWatches()).toHaveLength(0);
  });

  test("a watch left at a step its operation is not at (an older version's) is dropped without publishing", async () => {
    const w = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const operationId = await copying(w);
    const operation = (await w.store.get(operationId))!;
    await w.store.startWatch(operation, {
      ...operation.watch!,
      context: { ...operation.watch!.context, atStep: "restoring" },
    });
    w.rds.settle();
    await checkWatches(w.deps, "tick");
    expect(w.publisher.delivered(CopyCompleted)).toHaveLength(0);
    expect((await w.store.get(operationId))?.watch).toBeUndefined();
    expect(await w.auditOf(operationId)).toContain("watcher:watch target-copy:ignored-duplicate");
  });

  test("a busy resource is kept without a write; an unreadable one does not stop the others", async () => {
    const w = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const operationId = await copying(w);
    const before = (await w.store.get(operationId))!;
    w.rds.failNext(
      "describeClusterSnapshot",
      new AwsCallError("ThrottlingException", "Rate exceeded", "rds"),
    );
    await checkWatches(w.deps, "tick-throttled");
    expect(w.metrics.total(pipelineMetrics.watchErrors)).toBe(1);
    await checkWatches(w.deps, "tick-busy");
    expect(watchChecksOf(w.store).checksOf(operationId, before.watch!)).toBe(1);
    const after = (await w.store.get(operationId))!;
    expect(after.step).toBe("copying");
    expect(after.updatedAt).toBe(before.updatedAt);
    expect(after.version).toBe(before.version);
  });

  test("an RDS resource event checks the watches on the resource it names; other events check nothing", async () => {
    const w = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const operationId = await copying(w);
    w.rds.settle();
    const { watch } = (await w.store.get(operationId))!;
    const rdsEvent = (eventId: string, identifier: string) =>
      rdsEventSchema.parse({
        version: "0",
        id: `rds-${eventId}-${identifier.length}`,
        "detail-type": rdsDetailTypes.instance,
        source: RDS_SOURCE,
        account: "222222222222",
        time: "2026-03-14T04:10:00Z",
        region: "eu-west-1",
        resources: [],
        detail: {
          EventCategories: ["creation"],
          SourceType: "DB_INSTANCE",
          SourceArn: `arn:aws:rds:eu-west-1:222222222222:db:${identifier}`,
          SourceIdentifier: identifier,
          Date: "2026-03-14T04:10:00.000Z",
          Message: "DB instance created",
          EventID: eventId,
        },
      });
    const watched = watch!.resource.split(":").at(-1)!;
    await onRdsEvent(w.deps, rdsEvent("RDS-EVENT-0016", watched));
    await onRdsEvent(w.deps, rdsEvent(rdsEventIds.instanceCreated, "x-1"));
    expect(w.publisher.delivered(CopyCompleted)).toHaveLength(0);
    await onRdsEvent(w.deps, rdsEvent(rdsEventIds.instanceCreated, watched));
    expect(w.publisher.delivered(CopyCompleted)).toHaveLength(1);
  });

  test("cluster-renamed waits for the new name and publishes ClusterRenamed; cluster-deleted waits for the cluster to go", async () => {
    const w = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const operationId = await copying(w);
    const scope = targetLocation;
    await startWatch(w.deps, (await w.store.get(operationId))!, {
      watchId: "rename-old",
      kind: "cluster-renamed",
      scope,
      resource: "staging-old-x",
      publish: ClusterRenamed,
      atStep: "copying",
      previousIdentifier: "staging",
      renameStep: "old-moved-away",
    });
    await checkWatches(w.deps, "tick-1");
    expect(w.publisher.delivered(ClusterRenamed)).toHaveLength(0);

    w.rds.addCluster(targetLocation, "staging-old-x");
    await checkWatches(w.deps, "tick-2");
    expect(w.publisher.only(ClusterRenamed).detail).toMatchObject({
      cluster: { clusterIdentifier: "staging-old-x" },
      previousIdentifier: "staging",
      step: "old-moved-away",
      // What the watcher saw under the new name: cutover's last step needs no describe of its own.
      endpoint: { host: "staging-old-x.cluster-fake.eu-west-1.rds.amazonaws.com", port: 5432 },
    });
    // No transition: the write that removed the watch recorded the event, naming the watch.
    const renamed = (await w.store.get(operationId))!;
    expect(renamed.watch).toBeUndefined();
    expect(renamed.handoff).toMatchObject({ detailType: ClusterRenamed.detailType, watchId: "rename-old" });

    await startWatch(w.deps, renamed, {
      watchId: "delete-old",
      kind: "cluster-deleted",
      scope,
      resource: "gone-soon",
      publish: "none",
      atStep: ["copying", "completed"],
    });
    w.rds.addCluster(targetLocation, "gone-soon", [], { status: "deleting" });
    await checkWatches(w.deps, "tick-3");
    expect((await w.store.get(operationId))?.watch?.watchId).toBe("delete-old");
    w.rds.clusters.delete(`${targetLocation.accountId}/${targetLocation.region}/gone-soon`);
    await checkWatches(w.deps, "tick-4");
    expect((await w.store.get(operationId))?.watch).toBeUndefined();
    expect(await w.auditOf(operationId)).toContain("watcher:watch delete-old:succeeded");
    expect(w.publisher.delivered(ClusterRenamed)).toHaveLength(1);
  });
});

describe("watcher: deadlines, stalled requests, reconciling", () => {
  test("an operation past its deadline fails, naming the deadline and the step", async () => {
    const w = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const operationId = await copying(w);
    w.clock.advance(minutes(121));
    await onSchedule(w.deps, { id: "tick-late" });
    const operation = await w.store.get(operationId);
    expect(operation?.step).toBe("failed");
    expect(operation?.error).toMatchObject({ stage: "copy", code: "DeadlineExceeded" });
    expect(operation?.error?.message).toMatch(
      /stuck past the plan's deadline \(120 minutes\) at step copying\. Cross-region copies can take hours/,
    );
    expect(w.publisher.only(RestoreFailed).detail.errorCode).toBe("DeadlineExceeded");
    expect(await w.store.lockHolder(targetKey)).toBeUndefined();
  });

  test("a request nobody took is announced again once its handoff stalls (ten minutes)", async () => {
    const w = await createWorld(backend());
    const [started] = await trigger.onRdsEvent(w.deps, snapshotCreatedEvent(w.automatedSnapshot()));
    w.clock.advance(minutes(6));
    await onSchedule(w.deps, { id: "tick-early" });
    const first = w.publisher.only(RestoreRequested);
    w.clock.advance(minutes(5));
    await onSchedule(w.deps, { id: "tick-late" });
    const again = w.publisher.delivered(RestoreRequested);
    expect(again).toHaveLength(2);
    const { occurredAt: _first, ...same } = first.detail;
    expect(again[1]?.detail).toMatchObject({ ...same, operationId: started!.operationId });
    expect(await w.auditOf(started!.operationId)).toContain("watcher:republish-handoff:succeeded");
  });

  test("a snapshot whose event never came starts its operation once; young and pipeline snapshots are left alone", async () => {
    const w = await createWorld(backend());
    const missed = w.automatedSnapshot("2026-03-14-03-00", { createdAt: "2026-03-14T03:00:00.000Z" });
    w.rds.addSnapshot(sourceLocation, "aurora-restore-0123456789-share", {
      clusterIdentifier: "production",
      createdAt: "2026-03-14T03:30:00.000Z",
    });
    w.automatedSnapshot("2026-03-13-03-00", { createdAt: "2026-03-13T03:00:00.000Z" });

    await onSchedule(w.deps, { id: "tick-1" });
    await onSchedule(w.deps, { id: "tick-2" });
    const requested = w.publisher.only(RestoreRequested);
    expect(requested.detail).toMatchObject({
      operationId: operationIdFor({ snapshotArn: missed.arn, targetKey }),
      trigger: "reconciler",
      sourceSnapshot: { arn: missed.arn },
    });

    const w2 = await createWorld(backend());
    w2.automatedSnapshot("2026-03-14-03-55", { createdAt: "2026-03-14T03:55:00.000Z" });
    await onSchedule(w2.deps, { id: "tick-young" });
    expect(w2.publisher.entries).toHaveLength(0);
  });

  test("reconciling leaves a busy target alone", async () => {
    const w = await createWorld(backend());
    w.automatedSnapshot("2026-03-14-03-00", { createdAt: "2026-03-14T03:00:00.000Z" });
    await w.store.acquireLock(targetKey, "op-active", "2026-03-14T01:00:00.000Z");
    await onSchedule(w.deps, { id: "tick" });
    expect(w.publisher.entries).toHaveLength(0);
    expect(w.metrics.total(pipelineMetrics.requestsRefused)).toBe(0);
  });
});
