import { describe, expect, test } from "vitest";
import { CopyCompleted, RestoreFailed, SnapshotAvailable } from "../../src/events/domain";
import { AwsCallError } from "../../src/ports/errors";
import { onSnapshotAvailable } from "../../src/stages/copy";
import { checkWatches } from "../../src/stages/watcher";
import { useDynalite } from "../support/dynalite";
import { createWorld, keys, makePlan, sourceLocation, targetLocation } from "../support/world";
import { untilSnapshotAvailable } from "./chain";

const backend = useDynalite();

describe("copy on SnapshotAvailable", () => {
  test("single hop: copied in the target region from the shared ARN, with SourceRegion and the target key", async () => {
    const w = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const { operationId, event } = await untilSnapshotAvailable(w);
    await onSnapshotAvailable(w.deps, event);

    const copies = w.rds.callsOf("copyClusterSnapshot");
    const copy = copies[copies.length - 1]!;
    expect(copy.scope).toEqual(targetLocation);
    expect(copy.input).toMatchObject({
      source: event.detail.snapshot.arn,
      targetIdentifier: expect.stringMatching(/^aurora-restore-[0-9a-f]{10}-copy$/),
      kmsKeyId: keys.target,
      sourceRegion: "us-east-1",
      copyTags: false,
    });
    const operation = await w.store.get(operationId);
    expect(operation?.step).toBe("copying");
    expect(operation?.outputs.targetSnapshotArn).toMatch(
      /^arn:aws:rds:eu-west-1:222222222222:cluster-snapshot:/,
    );

    await checkWatches(w.deps, "tick-busy");
    expect(w.publisher.delivered(CopyCompleted)).toHaveLength(0);
    w.rds.settle();
    await checkWatches(w.deps, "tick-ready");
    expect(w.publisher.only(CopyCompleted).detail.snapshot).toMatchObject({
      ...targetLocation,
      kmsKeyId: keys.target,
    });
    expect((await w.store.get(operationId))?.step).toBe("copy-completed");
  });

  test("two hops: into the target account in the source region first, then across regions; a replayed hop is ignored", async () => {
    const w = await createWorld(backend());
    const { operationId, event } = await untilSnapshotAvailable(w);
    await onSnapshotAvailable(w.deps, event);
    const hop1 = w.rds.callsOf("copyClusterSnapshot")[1]!;
    expect(hop1.scope).toEqual({ accountId: "222222222222", region: "us-east-1" });
    expect(hop1.input).toMatchObject({ source: event.detail.snapshot.arn, kmsKeyId: "alias/aws/rds" });
    expect(hop1.input).not.toHaveProperty("sourceRegion");

    w.rds.settle();
    await checkWatches(w.deps, "tick-hop");
    const hopEvent = w.publisher.delivered(SnapshotAvailable)[1]!;
    expect((await w.store.get(operationId))?.step).toBe("copying");
    await onSnapshotAvailable(w.deps, hopEvent);
    await onSnapshotAvailable(w.deps, { ...hopEvent, id: "replayed-hop" });

    const copies = w.rds.callsOf("copyClusterSnapshot");
    expect(copies).toHaveLength(3);
    expect(copies[2]!.scope).toEqual(targetLocation);
    expect(copies[2]!.input).toMatchObject({
      source: hopEvent.detail.snapshot.arn,
      sourceRegion: "us-east-1",
      kmsKeyId: keys.target,
    });
    expect(await w.auditOf(operationId)).toContain("copy:copy-hop-2:ignored-duplicate");
  });

  test("a snapshot already in the target account and region under the target key needs no copy", async () => {
    const plan = makePlan({
      target: { ...sourceLocation, kmsKeyId: keys.sourceCustomer },
    });
    const w = await createWorld(backend(), [plan]);
    const snapshot = w.automatedSnapshot("2026-03-14-03-00", { kmsKeyId: keys.sourceCustomer });
    const { operationId, event } = await untilSnapshotAvailable(w, snapshot);
    const copiesBefore = w.rds.callsOf("copyClusterSnapshot").length;
    await onSnapshotAvailable(w.deps, event);
    expect(w.rds.callsOf("copyClusterSnapshot")).toHaveLength(copiesBefore);
    expect(w.publisher.only(CopyCompleted).detail.snapshot.arn).toBe(event.detail.snapshot.arn);
    expect((await w.store.get(operationId))?.step).toBe("copy-completed");
  });

  test("a failed copy ends the operation with the AWS error name; a copy that RDS marks failed does too", async () => {
    const w = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const { operationId, event } = await untilSnapshotAvailable(w);
    w.rds.failNext("copyClusterSnapshot", new AwsCallError("SnapshotQuotaExceededFault", "quota", "rds"));
    await onSnapshotAvailable(w.deps, event);
    expect((await w.store.get(operationId))?.error).toMatchObject({
      stage: "copy",
      code: "SnapshotQuotaExceededFault",
    });
    expect(w.publisher.only(RestoreFailed).detail.stage).toBe("copy");

    const w2 = await createWorld(backend(), [makePlan({ target: { copyMode: "single-hop" } })]);
    const second = await untilSnapshotAvailable(w2);
    await onSnapshotAvailable(w2.deps, second.event);
    const copyName = (w2.rds.callsOf("copyClusterSnapshot")[1]!.input as { targetIdentifier: string })
      .targetIdentifier;
    w2.rds.snapshot(targetLocation, copyName)!.status = "failed";
    await checkWatches(w2.deps, "tick");
    const failed = await w2.store.get(second.operationId);
    expect(failed?.error).toMatchObject({ stage: "copy", code: "SnapshotCopyFailed" });
    expect(failed?.error?.message).toMatch(/ended in status failed.*kms:CreateGrant/);
  });
});
