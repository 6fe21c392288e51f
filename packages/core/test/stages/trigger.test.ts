import { describe, expect, test } from "vitest";
import { ManualRestoreRequested, RestoreRequested } from "../../src/events/domain";
import { operationIdFor, resourceNames } from "../../src/operation/ids";
import {
  ManualRequestError,
  ManualRequestRefusedError,
  onManualRestoreRequested,
  onRdsEvent,
  parseManualRequest,
  TargetsBusyError,
} from "../../src/stages/trigger";
import { useDynalite } from "../support/dynalite";
import { createWorld, makePlan, snapshotCreatedEvent, sourceLocation, type World } from "../support/world";

const backend = useDynalite();

const targetKey = "222222222222/eu-west-1/staging";

function manualRequest(
  w: World,
  fields: { targetClusterId: string; sourceSnapshotDate: string },
  id = "req-1",
) {
  const entry = ManualRestoreRequested.entry(
    {
      operationId: "op-manual-1",
      correlationId: "corr-manual-1",
      causationId: "cli",
      occurredAt: "2026-03-14T05:00:00.000Z",
      requestedBy: "alice",
      ...fields,
    },
    { busName: w.deps.busName },
  );
  return { id, detail: JSON.parse(entry.Detail) as ReturnType<typeof ManualRestoreRequested.parse> };
}

describe("trigger on RDS snapshot events", () => {
  test("starts one operation per planned target: locked, recorded, audited, RestoreRequested published", async () => {
    const w = await createWorld(backend());
    const snapshot = w.automatedSnapshot();
    const outcomes = await onRdsEvent(w.deps, snapshotCreatedEvent(snapshot));

    const operationId = operationIdFor({ snapshotArn: snapshot.arn, targetKey });
    expect(outcomes).toEqual([{ outcome: "started", operationId }]);
    const operation = await w.store.get(operationId);
    expect(operation).toMatchObject({
      step: "requested",
      trigger: "snapshot-event",
      sourceSnapshot: { arn: snapshot.arn, type: "automated", ...sourceLocation },
      deadline: expect.any(String),
    });
    expect(await w.store.lockHolder(targetKey)).toBe(operationId);
    const requested = w.publisher.only(RestoreRequested);
    expect(requested.detail).toMatchObject({
      operationId,
      planId: "staging-refresh",
      target: { clusterIdentifier: "staging", accountId: "222222222222", region: "eu-west-1" },
      trigger: "snapshot-event",
    });
    expect(await w.auditOf(operationId)).toEqual(["trigger:start-operation:started"]);
    // The cluster came from the automated identifier: no describe call needed.
    expect(w.calls.lines).toEqual([]);
  });

  test("the same snapshot event twice starts one operation; the replay is audited as a duplicate", async () => {
    const w = await createWorld(backend());
    const event = snapshotCreatedEvent(w.automatedSnapshot());
    const [first] = await onRdsEvent(w.deps, event);
    const [second] = await onRdsEvent(w.deps, { ...event, id: "replayed-id" });

    expect(second).toEqual({ outcome: "duplicate", operationId: first!.operationId });
    expect(w.publisher.delivered(RestoreRequested)).toHaveLength(1);
    expect(await w.auditOf(first!.operationId)).toEqual([
      "trigger:start-operation:started",
      "trigger:start-operation:ignored-duplicate",
    ]);
  });

  test("a target with an active operation refuses a new one: clear error, audit entry, no operation", async () => {
    const w = await createWorld(backend());
    await w.store.acquireLock(targetKey, "op-active", "2026-03-14T01:00:00.000Z");
    const snapshot = w.automatedSnapshot();

    const refused = await onRdsEvent(w.deps, snapshotCreatedEvent(snapshot)).catch((e) => e);
    expect(refused).toBeInstanceOf(TargetsBusyError);
    expect(refused.retryable).toBe(false);
    expect(refused.message).toMatch(
      /already has an active operation \(op-active\).*operations show op-active/,
    );

    const operationId = operationIdFor({ snapshotArn: snapshot.arn, targetKey });
    expect(await w.store.get(operationId)).toBeUndefined();
    expect(await w.store.lockHolder(targetKey)).toBe("op-active");
    expect(await w.auditOf(operationId)).toEqual(["trigger:start-operation:rejected"]);
    expect(w.publisher.entries).toHaveLength(0);
  });

  test("ignores other clusters, other event ids, the pipeline's own snapshots and unaccepted snapshot types", async () => {
    const w = await createWorld(backend(), [
      makePlan({ plan: { trigger: { type: "every-snapshot", snapshotTypes: ["manual"] } } }),
    ]);
    const automated = w.automatedSnapshot();
    const other = w.rds.addSnapshot(sourceLocation, "other-manual", { clusterIdentifier: "other-db" });
    const own = w.rds.addSnapshot(sourceLocation, "aurora-restore-0123456789-share", {
      clusterIdentifier: "production",
    });
    const creating = {
      ...snapshotCreatedEvent(other),
      detail: { ...snapshotCreatedEvent(other).detail, EventID: "RDS-EVENT-0074" },
    };

    expect(await onRdsEvent(w.deps, snapshotCreatedEvent(automated))).toEqual([]);
    expect(await onRdsEvent(w.deps, snapshotCreatedEvent(other))).toEqual([]);
    expect(await onRdsEvent(w.deps, snapshotCreatedEvent(own))).toEqual([]);
    expect(await onRdsEvent(w.deps, creating)).toEqual([]);
    expect(w.publisher.entries).toHaveLength(0);
  });

  test("a manual snapshot's cluster is found by describing it through the source role", async () => {
    const w = await createWorld(backend());
    const manual = w.rds.addSnapshot(sourceLocation, "before-release", { clusterIdentifier: "production" });
    const [started] = await onRdsEvent(w.deps, snapshotCreatedEvent(manual));
    expect(started?.outcome).toBe("started");
    expect(w.rds.callsOf("describeClusterSnapshot")[0]?.scope.roleArn).toMatch(/aurora-restore-source$/);
    expect(w.publisher.only(RestoreRequested).detail.sourceSnapshot.type).toBe("manual");
  });
});

describe("trigger on manual requests", () => {
  test("uses the automated snapshot of that date (preferred over a manual one) and the request's operation id", async () => {
    const w = await createWorld(backend());
    w.rds.addSnapshot(sourceLocation, "manual-0314", {
      clusterIdentifier: "production",
      createdAt: "2026-03-14T09:00:00.000Z",
    });
    const automated = w.automatedSnapshot("2026-03-14-03-00", { createdAt: "2026-03-14T03:00:00.000Z" });
    w.automatedSnapshot("2026-03-13-03-00", { createdAt: "2026-03-13T03:00:00.000Z" });

    const outcome = await onManualRestoreRequested(
      w.deps,
      manualRequest(w, { targetClusterId: "staging", sourceSnapshotDate: "2026-03-14" }),
    );
    expect(outcome).toEqual({ outcome: "started", operationId: "op-manual-1" });
    expect(w.publisher.only(RestoreRequested).detail).toMatchObject({
      operationId: "op-manual-1",
      correlationId: "corr-manual-1",
      causationId: "req-1",
      trigger: "manual",
      requestedBy: "alice",
      sourceSnapshot: { arn: automated.arn, type: "automated" },
    });
  });

  test("no snapshot that day: refused, naming the dates that exist; audited; no operation", async () => {
    const w = await createWorld(backend());
    w.automatedSnapshot("2026-03-13-03-00", { createdAt: "2026-03-13T03:00:00.000Z" });
    w.automatedSnapshot("2026-03-12-03-00", { createdAt: "2026-03-12T03:00:00.000Z" });

    const error = await onManualRestoreRequested(
      w.deps,
      manualRequest(w, { targetClusterId: "staging", sourceSnapshotDate: "2026-03-10" }),
    ).catch((e) => e);
    expect(error).toBeInstanceOf(ManualRequestRefusedError);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(
      "no available snapshot taken on 2026-03-10 (UTC). Dates with snapshots: 2026-03-13, 2026-03-12",
    );
    expect(await w.store.get("op-manual-1")).toBeUndefined();
    expect(await w.auditOf("op-manual-1")).toEqual(["trigger:manual-request:rejected"]);
  });

  test("an unplanned target is refused with the list of planned targets", async () => {
    const w = await createWorld(backend());
    const error = await onManualRestoreRequested(
      w.deps,
      manualRequest(w, { targetClusterId: "qa-db", sourceSnapshotDate: "2026-03-14" }),
    ).catch((e) => e);
    expect(error).toMatchObject({ field: "target_cluster_id", retryable: false });
    expect(error.message).toBe(
      "target_cluster_id: no plan has a target cluster named qa-db. Planned targets: staging (plan staging-refresh, 222222222222/eu-west-1).",
    );
    expect(w.calls.lines).toEqual([]);
    expect(await w.auditOf("op-manual-1")).toEqual(["trigger:manual-request:rejected"]);
  });

  test("an operation id already used for another refresh is refused; the same request again is a duplicate", async () => {
    const w = await createWorld(backend());
    w.automatedSnapshot("2026-03-14-03-00", { createdAt: "2026-03-14T03:00:00.000Z" });
    w.automatedSnapshot("2026-03-13-03-00", { createdAt: "2026-03-13T03:00:00.000Z" });
    const request = manualRequest(w, { targetClusterId: "staging", sourceSnapshotDate: "2026-03-14" });
    await onManualRestoreRequested(w.deps, request);
    expect(await onManualRestoreRequested(w.deps, request)).toEqual({
      outcome: "duplicate",
      operationId: "op-manual-1",
    });

    const other = manualRequest(w, { targetClusterId: "staging", sourceSnapshotDate: "2026-03-13" }, "req-2");
    const error = await onManualRestoreRequested(w.deps, other).catch((e) => e);
    expect(error).toBeInstanceOf(ManualRequestRefusedError);
    expect(error.message).toMatch(
      /^operation_id: op-manual-1 already names the refresh of 222222222222\/eu-west-1\/staging from rds:production-2026-03-14-03-00 \(running\); give a new operation_id/,
    );
    expect(w.publisher.delivered(RestoreRequested)).toHaveLength(1);
    expect(await w.auditOf("op-manual-1")).toEqual([
      "trigger:start-operation:started",
      "trigger:start-operation:ignored-duplicate",
      "trigger:manual-request:rejected",
    ]);
  });

  test("a busy target refuses the manual request too", async () => {
    const w = await createWorld(backend());
    w.automatedSnapshot("2026-03-14-03-00", { createdAt: "2026-03-14T03:00:00.000Z" });
    await w.store.acquireLock(targetKey, "op-active", "2026-03-14T01:00:00.000Z");
    const error = await onManualRestoreRequested(
      w.deps,
      manualRequest(w, { targetClusterId: "staging", sourceSnapshotDate: "2026-03-14" }),
    ).catch((e) => e);
    expect(error).toBeInstanceOf(TargetsBusyError);
    expect(error.message).toContain(`Target ${targetKey} already has an active operation (op-active)`);
    expect(await w.store.get("op-manual-1")).toBeUndefined();
    expect(await w.auditOf("op-manual-1")).toEqual(["trigger:start-operation:rejected"]);
  });

  test("a person's operation ids give valid, distinct resource names", () => {
    const rdsIdentifier = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]*[a-zA-Z0-9]$/;
    const a = resourceNames("refresh-2026-03-14-a", "staging");
    const b = resourceNames("refresh-2026-03-14-b", "staging");
    const odd = resourceNames("x-", "staging");
    for (const names of [a, b, odd]) {
      for (const name of [names.shareableSnapshot, names.targetSnapshot, names.oldCluster]) {
        expect(name).toMatch(rdsIdentifier);
      }
    }
    expect(a.shareableSnapshot).not.toBe(b.shareableSnapshot);
    expect(a.oldCluster).not.toBe(b.oldCluster);
    // Derived ids keep their names (operations already running find what they created).
    expect(resourceNames("op-0123456789abcdef0123", "staging").targetSnapshot).toBe(
      "aurora-restore-0123456789-copy",
    );
  });
});

describe("parseManualRequest", () => {
  test("accepts the CLI's snake_case fields", () => {
    expect(
      parseManualRequest({
        target_cluster_id: "staging",
        source_snapshot_date: "2026-03-14",
        operation_id: "op-1",
      }),
    ).toEqual({ targetClusterId: "staging", sourceSnapshotDate: "2026-03-14", operationId: "op-1" });
  });

  test("lists every problem with its field and the fix", () => {
    const error = (() => {
      try {
        parseManualRequest({ source_snapshot_date: "2026-02-30", target: "x", operation_id: "bad id!" });
      } catch (e) {
        return e as ManualRequestError;
      }
    })();
    expect(error).toBeInstanceOf(ManualRequestError);
    expect(error?.issues.map((i) => i.field)).toEqual([
      "target",
      "target_cluster_id",
      "source_snapshot_date",
      "operation_id",
    ]);
    expect(error?.message).toContain("target_cluster_id: is required");
    expect(error?.message).toContain(
      'source_snapshot_date: "2026-02-30" is not a date in the form YYYY-MM-DD',
    );
  });

  test("refuses dates in the future and identifiers RDS would refuse", () => {
    expect(() =>
      parseManualRequest(
        { targetClusterId: "staging", sourceSnapshotDate: "2026-03-15" },
        new Date("2026-03-14T12:00:00Z"),
      ),
    ).toThrow(/2026-03-15 is in the future/);
    expect(() =>
      parseManualRequest({ targetClusterId: "staging--db", sourceSnapshotDate: "2026-03-14" }),
    ).toThrow(/not a DB cluster identifier/);
    expect(() => parseManualRequest("staging")).toThrow(/expected an object/);
  });
});
