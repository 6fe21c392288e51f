import { describe, expect, test } from "vitest";
import {
  RestoreFailed,
  RestoreRequested,
  SnapshotAvailable,
  SourceSnapshotCopied,
} from "../../src/events/domain";
import { AwsCallError } from "../../src/ports/errors";
import { asDelivery } from "../../src/stages/kit/lease";
import { onRestoreRequested, onSourceSnapshotCopied } from "../../src/stages/prepare";
import { onRdsEvent } from "../../src/stages/trigger";
import { checkWatches } from "../../src/stages/watcher";
import { useDynalite } from "../support/dynalite";
import { watchesOf } from "../support/watches";
import {
  createWorld,
  keys,
  makePlan,
  snapshotCreatedEvent,
  sourceLocation,
  sourceRoleArn,
  targetLocation,
  type World,
} from "../support/world";

const backend = useDynalite();

async function requested(w: World, snapshot = w.automatedSnapshot()) {
  const [started] = await onRdsEvent(w.deps, snapshotCreatedEvent(snapshot));
  return { operationId: started!.operationId, event: w.publisher.only(RestoreRequested) };
}

describe("prepare on RestoreRequested", () => {
  test("an automated default-key snapshot is copied under the shareable key in the source account, then shared", async () => {
    const w = await createWorld(backend());
    const { operationId, event } = await requested(w);
    // The trigger knew the automated snapshot's cluster by its name and described nothing: prepare does.
    expect(event.detail.sourceSnapshotState).toBeUndefined();
    await onRestoreRequested(w.deps, event);
    expect(w.rds.callsOf("describeClusterSnapshot")).toHaveLength(1);

    const [copy] = w.rds.callsOf("copyClusterSnapshot");
    expect(copy?.scope).toEqual({ ...sourceLocation, roleArn: sourceRoleArn });
    expect(copy?.input).toMatchObject({
      source: "rds:production-2026-03-14-03-00",
      targetIdentifier: expect.stringMatching(/^aurora-restore-[0-9a-f]{10}-share$/),
      kmsKeyId: keys.shareable,
    });
    const operation = await w.store.get(operationId);
    expect(operation?.step).toBe("preparing-snapshot");
    expect(operation?.outputs.shareableSnapshotArn).toMatch(
      /^arn:aws:rds:us-east-1:111111111111:cluster-snapshot:aurora-restore-/,
    );
    expect((await watchesOf(w.store, operationId)).map((x) => x.watchId)).toEqual(["source-shareable-copy"]);
    expect(w.publisher.delivered(SnapshotAvailable)).toHaveLength(0);

    w.rds.settle();
    await checkWatches(w.deps, "tick");
    await onSourceSnapshotCopied(w.deps, w.publisher.only(SourceSnapshotCopied));
    expect(w.rds.callsOf("shareClusterSnapshot")[0]?.input).toEqual({
      snapshotIdentifier: (copy!.input as { targetIdentifier: string }).targetIdentifier,
      accountIds: [targetLocation.accountId],
    });
    const available = w.publisher.only(SnapshotAvailable);
    expect(available.detail.sharedWith).toEqual(["222222222222"]);
    expect(available.detail.snapshot.kmsKeyId).toBe(keys.shareable);
    expect((await w.store.get(operationId))?.step).toBe("snapshot-available");
  });

  test("a replayed RestoreRequested is ignored: one copy, an ignored-duplicate audit entry", async () => {
    const w = await createWorld(backend());
    const { operationId, event } = await requested(w);
    await onRestoreRequested(w.deps, event);
    await onRestoreRequested(w.deps, { ...event, id: "replay-of-request" });
    expect(w.rds.callsOf("copyClusterSnapshot")).toHaveLength(1);
    expect(await w.auditOf(operationId)).toContain("prepare:prepare-copy:ignored-duplicate");
  });

  test("the same delivery retried after a transient failure resumes; a later duplicate does nothing", async () => {
    const w = await createWorld(backend());
    const { event } = await requested(w);
    w.kms.failNext("describeKey", new AwsCallError("ThrottlingException", "Rate exceeded", "kms"));
    await expect(asDelivery(w.deps, () => onRestoreRequested(w.deps, event))).rejects.toThrow(
      /Rate exceeded/,
    );
    await onRestoreRequested(w.deps, event);
    await onRestoreRequested(w.deps, event);
    expect(w.rds.callsOf("copyClusterSnapshot")).toHaveLength(1);
    expect(w.rds.snapshots.size).toBe(2);
  });

  test("a default-key snapshot with no shareable key fails early, naming the key to set", async () => {
    const plan = makePlan({
      plan: { source: { ...sourceLocation, clusterIdentifier: "production", roleArn: sourceRoleArn } },
    });
    const w = await createWorld(backend(), [plan]);
    const { operationId, event } = await requested(w);
    await onRestoreRequested(w.deps, event);

    const operation = await w.store.get(operationId);
    expect(operation?.step).toBe("failed");
    expect(operation?.error).toMatchObject({ stage: "prepare", code: "SnapshotNotShareable" });
    expect(operation?.error?.message).toMatch(
      /default aws\/rds key.*Set source.shareableKmsKeyId in plan staging-refresh/,
    );
    expect(w.publisher.only(RestoreFailed).detail).toMatchObject({
      stage: "prepare",
      errorCode: "SnapshotNotShareable",
    });
    expect(await w.store.lockHolder("222222222222/eu-west-1/staging")).toBeUndefined();
    expect(w.rds.callsOf("copyClusterSnapshot")).toHaveLength(0);
  });

  test("a manual snapshot (0075) is never shared itself: the pipeline's own copy is made and shared (item 2)", async () => {
    const w = await createWorld(backend());
    const manual = w.rds.addSnapshot(sourceLocation, "nightly", {
      clusterIdentifier: "production",
      kmsKeyId: keys.sourceCustomer,
    });
    const { operationId, event } = await requested(w, manual);
    // The trigger described the manual snapshot to find its cluster: RestoreRequested carries what it saw.
    expect(event.detail.sourceSnapshotState).toEqual({ status: "available", encrypted: true });
    await onRestoreRequested(w.deps, event);

    // prepare decided from it: the trigger's describe is the only one.
    expect(w.rds.callsOf("describeClusterSnapshot")).toHaveLength(1);
    expect(w.rds.callsOf("shareClusterSnapshot")).toHaveLength(0);
    const [copy] = w.rds.callsOf("copyClusterSnapshot");
    expect(copy?.input).toMatchObject({
      source: "nightly",
      targetIdentifier: expect.stringMatching(/^aurora-restore-[0-9a-f]{10}-share$/),
      kmsKeyId: keys.shareable,
    });
    expect((await w.store.get(operationId))?.step).toBe("preparing-snapshot");

    w.rds.settle();
    await checkWatches(w.deps, "tick");
    await onSourceSnapshotCopied(w.deps, w.publisher.only(SourceSnapshotCopied));
    const shared = (copy!.input as { targetIdentifier: string }).targetIdentifier;
    expect(w.rds.callsOf("shareClusterSnapshot").map((c) => c.input)).toEqual([
      { snapshotIdentifier: shared, accountIds: [targetLocation.accountId] },
    ]);
    // Production's own snapshot keeps its attributes: shared with nobody.
    expect(w.rds.snapshot(sourceLocation, "nightly")?.sharedWith ?? []).toEqual([]);
    expect(w.publisher.only(SnapshotAvailable).detail.snapshot.identifier).toBe(shared);
    expect(await w.auditOf(operationId)).toContain("prepare:copy-to-shareable-snapshot:started");
  });

  test("a target in the source's account needs no sharing: SnapshotAvailable at once, no RDS call", async () => {
    const plan = makePlan({
      target: { accountId: "111111111111", kmsKeyId: "arn:aws:kms:eu-west-1:111111111111:key/t" },
    });
    const w = await createWorld(backend(), [plan]);
    const { operationId, event } = await requested(w);
    const before = w.calls.length;
    await onRestoreRequested(w.deps, event);
    expect(w.calls.length).toBe(before);
    expect(w.publisher.only(SnapshotAvailable).detail.sharedWith).toEqual([]);
    expect((await w.store.get(operationId))?.step).toBe("snapshot-available");
  });

  test("an AWS error ends the operation as failed with the AWS error name and publishes RestoreFailed", async () => {
    const w = await createWorld(backend());
    const { operationId, event } = await requested(w);
    w.rds.failNext(
      "copyClusterSnapshot",
      new AwsCallError("KMSKeyNotAccessibleFault", "The key is not accessible", "rds"),
    );
    await onRestoreRequested(w.deps, event);
    const operation = await w.store.get(operationId);
    expect(operation?.error).toMatchObject({ stage: "prepare", code: "KMSKeyNotAccessibleFault" });
    expect(w.publisher.only(RestoreFailed).detail.errorCode).toBe("KMSKeyNotAccessibleFault");
    expect(await w.auditOf(operationId)).toContain("prepare:fail-operation:failed");
  });
});
