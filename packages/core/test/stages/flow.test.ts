import { describe, expect, test } from "vitest";
import {
  ClusterAvailable,
  ClusterConfigured,
  ClusterCreated,
  ClusterRenamed,
  CopyCompleted,
  RestoreCompleted,
  RestoreRequested,
  RestoreVerified,
  SnapshotAvailable,
  SourceSnapshotCopied,
} from "../../src/events/domain";
import * as cleanup from "../../src/stages/cleanup";
import { onClusterAvailable } from "../../src/stages/configure";
import { onSnapshotAvailable } from "../../src/stages/copy";
import { onClusterRenamed, onRestoreVerified } from "../../src/stages/cutover";
import { snapshotIdentifierOfArn } from "../../src/stages/kit/snapshot-refs";
import * as notify from "../../src/stages/notify";
import { onRestoreRequested, onSourceSnapshotCopied } from "../../src/stages/prepare";
import { onClusterCreated, onCopyCompleted } from "../../src/stages/restore";
import { onRdsEvent } from "../../src/stages/trigger";
import { onClusterConfigured } from "../../src/stages/verify";
import { onSchedule } from "../../src/stages/watcher";
import { useDynalite } from "../support/dynalite";
import {
  createWorld,
  healthyAnswers,
  nextHost,
  snapshotCreatedEvent,
  sourceLocation,
  sourceRoleArn,
  targetHost,
  targetKey,
  targetLocation,
} from "../support/world";

const backend = useDynalite();

describe("[slow] snapshot event to a refreshed, notified, cleaned-up target on fakes", () => {
  test("a cross-account, cross-region refresh runs all ten stages: trigger, prepare, copy (two hops), restore, configure, verify, cutover, notify, cleanup and the watcher between them", async () => {
    const w = await createWorld(backend());
    // The restored cluster's database, as the snapshot left it: only the master user, its password unknown.
    w.database.addServer(nextHost, "postgres", "password-from-the-snapshot");
    w.database.passwordDelayLogins = 0;
    w.database.answer = healthyAnswers;
    const snapshot = w.automatedSnapshot();
    const [started] = await onRdsEvent(w.deps, snapshotCreatedEvent(snapshot));
    const operationId = started!.operationId;

    await onRestoreRequested(w.deps, w.publisher.only(RestoreRequested));
    const shareCopy = w.rds.callsOf("copyClusterSnapshot")[0]!;
    expect(shareCopy.scope).toEqual({ ...sourceLocation, roleArn: sourceRoleArn });

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
      endpoint: { host: nextHost, port: 5432 },
    });

    await onClusterAvailable(w.deps, available);
    await onClusterConfigured(w.deps, w.publisher.only(ClusterConfigured));
    await onRestoreVerified(w.deps, w.publisher.only(RestoreVerified));
    // No target existed: the new cluster is moved straight in; the watcher sees the rename through.
    await onSchedule(w.deps, { id: "tick-7" });
    await onClusterRenamed(w.deps, w.publisher.only(ClusterRenamed));
    const completed = w.publisher.only(RestoreCompleted);
    await notify.onRestoreCompleted(w.deps, completed);
    await cleanup.onRestoreCompleted(w.deps, completed);

    // The operation ended well, every stage timed, nothing left waiting or locked.
    const operation = await w.store.get(operationId);
    expect(operation?.step).toBe("completed");
    expect(Object.keys(operation?.stageTimes ?? {})).toEqual(
      expect.arrayContaining(["trigger", "prepare", "copy", "restore", "configure", "verify", "cutover"]),
    );
    expect(await w.store.waitingOnWatches()).toHaveLength(0);
    expect(await w.store.lockHolder(targetKey)).toBeUndefined();
    expect(w.publisher.detailTypes()).toEqual(
      [
        RestoreRequested,
        SourceSnapshotCopied,
        SnapshotAvailable,
        SnapshotAvailable,
        CopyCompleted,
        ClusterCreated,
        ClusterAvailable,
        ClusterConfigured,
        RestoreVerified,
        ClusterRenamed,
        RestoreCompleted,
      ].map((c) => c.detailType),
    );

    // AWS as the refresh left it: the target cluster under its own name with the planned instances, the
    // intermediate copies deleted, the source snapshot kept.
    const staging = w.rds.cluster(targetLocation, "staging");
    expect(staging?.endpoint).toBe(targetHost);
    expect(staging?.members.map((m) => m.instanceIdentifier).sort()).toEqual(["staging-1", "staging-2"]);
    expect(w.rds.cluster(targetLocation, "staging-next")).toBeUndefined();
    expect(w.rds.callsOf("createInstance")).toHaveLength(2);
    expect(
      w.rds.callsOf("modifyCluster").filter((c) => c.line === "rds.modifyCluster:password"),
    ).toHaveLength(1);
    expect([...w.rds.snapshots.values()].map((s) => `${s.accountId}/${s.region}/${s.identifier}`)).toEqual([
      `111111111111/us-east-1/${snapshot.identifier}`,
    ]);
    // The copies it used (shared with any other target of the snapshot; this one was their only user).
    const copies = ["shareableSnapshotArn", "hopSnapshotArn", "targetSnapshotArn"].map((key) =>
      snapshotIdentifierOfArn(String(operation?.outputs[key])),
    );
    expect(copies.every((c) => c?.startsWith("aurora-restore-"))).toBe(true);
    expect(w.rds.callsOf("deleteClusterSnapshot").map((c) => c.input)).toEqual(
      expect.arrayContaining(copies),
    );

    // The target's secrets hold the new credentials for the target's own endpoint; the checks ran as the
    // application; the post-restore SQL ran once each.
    const master = w.secrets.current("aurora-restore/staging/master");
    expect(master).toMatchObject({ username: "postgres", host: targetHost, password: w.passwords[0] });
    expect(w.secrets.current("aurora-restore/staging/app_reader")).toMatchObject({
      username: "app_reader",
      host: targetHost,
    });
    expect(w.database.queries.filter((q) => q.text === "TRUNCATE sessions")).toHaveLength(1);
    expect(w.database.queries.some((q) => q.user === "app_reader" && q.text.includes("to_regclass"))).toBe(
      true,
    );

    // One notification, saying it succeeded and where the database is.
    expect(w.sns.published).toHaveLength(1);
    expect(w.sns.published[0]).toMatchObject({
      topicArn: "arn:aws:sns:eu-west-1:222222222222:aurora-restore",
    });
    expect(w.sns.published[0]!.message).toContain(`Endpoint: ${targetHost}:5432`);

    const trail = await w.auditOf(operationId);
    expect(trail.filter((e) => e.endsWith(":failed") || e.endsWith(":rejected"))).toEqual([]);
    expect(trail[0]).toBe("trigger:start-operation:started");
    expect(trail).toContain("prepare:share-snapshot:succeeded");
    expect(trail).toContain("watcher:watch next-instances:succeeded");
    for (const stage of ["configure", "verify", "cutover", "notify", "cleanup"]) {
      expect(trail.some((e) => e.startsWith(`${stage}:`))).toBe(true);
    }
    // No password reached an event, an audit entry, a log line or the notification.
    const seen = await w.observable(operationId);
    for (const password of w.passwords) expect(seen).not.toContain(password);
  });
});
