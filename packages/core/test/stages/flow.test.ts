import { describe, expect, test } from "vitest";
import {
  ClusterAvailable,
  ClusterCreated,
  CopyCompleted,
  RestoreRequested,
  SnapshotAvailable,
  SourceSnapshotCopied,
} from "../../src/events/domain";
import { onSnapshotAvailable } from "../../src/stages/copy";
import { onRestoreRequested, onSourceSnapshotCopied } from "../../src/stages/prepare";
import { onClusterCreated, onCopyCompleted } from "../../src/stages/restore";
import { onRdsEvent } from "../../src/stages/trigger";
import { onSchedule } from "../../src/stages/watcher";
import { useDynalite } from "../support/dynalite";
import { createWorld, snapshotCreatedEvent, sourceRoleArn, targetLocation } from "../support/world";

const backend = useDynalite();

describe("snapshot event to ClusterAvailable on fakes", () => {
  test("a cross-account, cross-region refresh runs trigger, prepare, copy (two hops), restore and the watcher", async () => {
    const w = await createWorld(backend());
    const snapshot = w.automatedSnapshot();
    const [started] = await onRdsEvent(w.deps, snapshotCreatedEvent(snapshot));
    const operationId = started!.operationId;

    await onRestoreRequested(w.deps, w.publisher.only(RestoreRequested));
    const shareCopy = w.rds.callsOf("copyClusterSnapshot")[0]!;
    expect(shareCopy.scope).toEqual({
      accountId: "111111111111",
      region: "us-east-1",
      roleArn: sourceRoleArn,
    });

    // Nothing is ready yet: the watcher publishes nothing.
    await onSchedule(w.deps, { id: "tick-1" });
    expect(w.publisher.delivered(SourceSnapshotCopied)).toHaveLength(0);

    w.rds.settle();
    await onSchedule(w.deps, { id: "tick-2" });
    await onSourceSnapshotCopied(w.deps, w.publisher.only(SourceSnapshotCopied));
    await onSnapshotAvailable(w.deps, w.publisher.only(SnapshotAvailable));

    w.rds.settle();
    await onSchedule(w.deps, { id: "tick-3" });
    const hop = w.publisher.delivered(SnapshotAvailable)[1]!;
    expect(hop.detail.snapshot).toMatchObject({ accountId: "222222222222", region: "us-east-1" });
    await onSnapshotAvailable(w.deps, hop);

    w.rds.settle();
    await onSchedule(w.deps, { id: "tick-4" });
    await onCopyCompleted(w.deps, w.publisher.only(CopyCompleted));

    w.rds.settle();
    await onSchedule(w.deps, { id: "tick-5" });
    await onClusterCreated(w.deps, w.publisher.only(ClusterCreated));

    w.rds.settle();
    await onSchedule(w.deps, { id: "tick-6" });
    const available = w.publisher.only(ClusterAvailable);
    expect(available.detail).toMatchObject({
      operationId,
      cluster: { clusterIdentifier: "staging-next", ...targetLocation },
      endpoint: { host: "staging-next.cluster-fake.eu-west-1.rds.amazonaws.com", port: 5432 },
    });

    const operation = await w.store.get(operationId);
    expect(operation?.step).toBe("cluster-available");
    expect(Object.keys(operation?.stageTimes ?? {})).toEqual(
      expect.arrayContaining(["trigger", "prepare", "copy", "restore"]),
    );
    expect(operation?.stageTimes.copy?.endedAt).toBeDefined();
    expect(await w.store.pendingWatches()).toHaveLength(0);
    expect(w.publisher.detailTypes()).toEqual(
      [
        RestoreRequested,
        SourceSnapshotCopied,
        SnapshotAvailable,
        SnapshotAvailable,
        CopyCompleted,
        ClusterCreated,
        ClusterAvailable,
      ].map((c) => c.detailType),
    );
    const trail = await w.auditOf(operationId);
    expect(trail.filter((e) => e.endsWith(":failed") || e.endsWith(":rejected"))).toEqual([]);
    expect(trail[0]).toBe("trigger:start-operation:started");
    expect(trail).toContain("prepare:share-snapshot:succeeded");
    expect(trail).toContain("watcher:watch next-instances:succeeded");
  });
});
