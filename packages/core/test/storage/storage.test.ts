import { type DynamoDBDocumentClient, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operationIdFor, targetKeyOf } from "../../src/operation/ids";
import { type AuditLog, createAuditLog } from "../../src/storage/audit";
import { TargetBusyError } from "../../src/storage/lock-store";
import {
  createOperationStore,
  type OperationStore,
  StaleTransitionError,
} from "../../src/storage/operations";
import {
  createTables,
  type DynamoBackend,
  dynamoDbLocalJar,
  startDynalite,
  startDynamoDbLocal,
} from "../support/dynamo";

const target = { accountId: "222222222222", region: "eu-west-1", clusterIdentifier: "staging" };
const targetKey = targetKeyOf(target);
const snapshot = {
  identifier: "rds:production-2026-11-28-03-00",
  arn: "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rds:production-2026-11-28-03-00",
  accountId: "111111111111",
  region: "us-east-1",
  type: "automated" as const,
};
const at = "2026-11-28T03:05:00.000Z";

function newOperation(id: string) {
  return {
    operationId: id,
    planId: "demo",
    targetKey,
    target,
    sourceSnapshot: snapshot,
    trigger: "snapshot-event" as const,
    requestedBy: "rds-event",
    correlationId: `corr-${id}`,
    deadline: "2026-11-28T09:05:00.000Z",
  };
}

const jar = dynamoDbLocalJar();
const backends: { name: string; start: () => Promise<DynamoBackend> }[] = [
  { name: "dynalite", start: startDynalite },
  ...(jar ? [{ name: "DynamoDB Local", start: () => startDynamoDbLocal(jar) }] : []),
];
if (!jar)
  console.warn(
    "DynamoDB Local (Java + amplify-dynamodb-simulator) not found: storage tests run on dynalite only",
  );

describe.each(backends)("[slow] state and audit tables on $name", ({ start }) => {
  let backend: DynamoBackend;
  let store: OperationStore;
  let audit: AuditLog;
  let auditTable: string;
  let client: DynamoDBDocumentClient;
  let stateTable: string;

  beforeAll(async () => {
    backend = await start();
    const tables = await createTables(backend);
    store = createOperationStore(tables.client, tables.stateTable);
    audit = createAuditLog(tables.client, tables.auditTable);
    auditTable = tables.auditTable;
    client = tables.client;
    stateTable = tables.stateTable;
  }, 60_000);
  afterAll(async () => backend?.stop());

  it("creates an operation once: the same snapshot and target is a duplicate", async () => {
    const id = operationIdFor({ snapshotArn: snapshot.arn, targetKey });
    expect(await store.create(newOperation(id), at)).toBe(true);
    expect(await store.create(newOperation(id), at)).toBe(false);
    const op = await store.get(id);
    expect(op).toMatchObject({ step: "requested", status: "running", version: 1, planId: "demo" });
  });

  it("moves forward on the expected step and version, and rejects a stale version", async () => {
    await store.create(newOperation("op-transition"), at);
    const moved = await store.transition("op-transition", {
      from: { step: "requested", version: 1 },
      to: "preparing-snapshot",
      at: "2026-11-28T03:06:00.000Z",
      outputs: { shareableSnapshotArn: "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:share" },
      countAttempt: true,
    });
    expect(moved).toMatchObject({ step: "preparing-snapshot", version: 2 });
    const stored = await store.get("op-transition");
    expect(stored?.outputs.shareableSnapshotArn).toContain("cluster-snapshot:share");
    expect(stored?.attempts.prepare).toBe(1);
    expect(stored?.stageTimes.prepare?.startedAt).toBe("2026-11-28T03:06:00.000Z");
    expect(stored?.stageTimes.trigger?.endedAt).toBeDefined();

    // The same event delivered again carries the old expectation: refused.
    await expect(
      store.transition("op-transition", {
        from: { step: "requested", version: 1 },
        to: "preparing-snapshot",
        at,
      }),
    ).rejects.toBeInstanceOf(StaleTransitionError);
    // Right step, stale version: refused by the conditional write's guard too.
    await expect(
      store.transition("op-transition", {
        from: { step: "preparing-snapshot", version: 1 },
        to: "copying",
        at,
      }),
    ).rejects.toThrow(/version 1.*version 2/);
  });

  it("stores stage times compactly and reads them, and an earlier version's ISO map, as the same map", async () => {
    await store.create(newOperation("op-times"), at);
    await store.transition("op-times", {
      from: { step: "requested", version: 1 },
      to: "preparing-snapshot",
      at: "2026-11-28T03:06:00.125Z",
    });
    const raw = async () => {
      const { Items = [] } = await client.send(
        new ScanCommand({
          TableName: stateTable,
          FilterExpression: "operationId = :id",
          ExpressionAttributeValues: { ":id": "op-times" },
        }),
      );
      return Items[0]!;
    };
    expect((await raw()).stageTimes).toEqual({
      trigger: [Date.parse(at), Date.parse(at)],
      prepare: [Date.parse("2026-11-28T03:06:00.125Z")],
    });
    const times = {
      trigger: { startedAt: at, endedAt: at },
      prepare: { startedAt: "2026-11-28T03:06:00.125Z" },
    };
    expect((await store.get("op-times"))?.stageTimes).toEqual(times);

    // An item the previous version wrote keeps the ISO map: read as it is, and moved on from.
    await client.send(
      new UpdateCommand({
        TableName: stateTable,
        Key: { pk: (await raw()).pk, sk: (await raw()).sk },
        UpdateExpression: "SET stageTimes = :times",
        ExpressionAttributeValues: { ":times": times },
      }),
    );
    expect((await store.get("op-times"))?.stageTimes).toEqual(times);
    const moved = await store.transition("op-times", {
      from: { step: "preparing-snapshot", version: 2 },
      to: "copying",
      at: "2026-11-28T03:07:00.000Z",
    });
    expect((await store.get("op-times"))?.stageTimes).toEqual(moved.stageTimes);
    expect(moved.stageTimes.prepare).toEqual({
      startedAt: "2026-11-28T03:06:00.125Z",
      endedAt: "2026-11-28T03:07:00.000Z",
    });
  });

  it("never moves backwards, and not out of a terminal step", async () => {
    await store.create(newOperation("op-backwards"), at);
    await store.transition("op-backwards", { from: { step: "requested", version: 1 }, to: "copying", at });
    await expect(
      store.transition("op-backwards", {
        from: { step: "copying", version: 2 },
        to: "preparing-snapshot",
        at,
      }),
    ).rejects.toThrow(/not a forward transition/);
    const failed = await store.transition("op-backwards", {
      from: { step: "copying", version: 2 },
      to: "failed",
      at,
      error: { stage: "copy", code: "KMSKeyNotAccessibleFault", message: "grant the target account" },
    });
    expect(failed).toMatchObject({ status: "failed", error: { code: "KMSKeyNotAccessibleFault" } });
    await expect(
      store.transition("op-backwards", { from: { step: "failed", version: 3 }, to: "completed", at }),
    ).rejects.toThrow(/not a forward transition/);
  });

  it("lets one concurrent transition win", async () => {
    await store.create(newOperation("op-race"), at);
    const attempts = await Promise.allSettled(
      [1, 2, 3].map(() =>
        store.transition("op-race", {
          from: { step: "requested", version: 1 },
          to: "preparing-snapshot",
          at,
        }),
      ),
    );
    expect(attempts.filter((a) => a.status === "fulfilled")).toHaveLength(1);
    expect((await store.get("op-race"))?.version).toBe(2);
  });

  it("queries operations by target", async () => {
    const other = { ...newOperation("op-other"), targetKey: "222222222222/eu-west-1/qa" };
    await store.create(other, at);
    const ids = (await store.listByTarget(targetKey)).map((o) => o.operationId);
    expect(ids).toEqual(expect.arrayContaining(["op-transition", "op-backwards"]));
    expect(ids).not.toContain("op-other");
  });

  it("holds one lock per target", async () => {
    const key = "222222222222/eu-west-1/locked";
    await store.acquireLock(key, "op-a", at);
    await store.acquireLock(key, "op-a", at); // re-entrant for the holder
    await expect(store.acquireLock(key, "op-b", at)).rejects.toBeInstanceOf(TargetBusyError);
    await store.releaseLock(key, "op-b"); // not the holder: no effect
    expect(await store.lockHolder(key)).toBe("op-a");
    await store.releaseLock(key, "op-a");
    await store.acquireLock(key, "op-b", at);
    expect(await store.lockHolder(key)).toBe("op-b");
  });

  it("keeps an operation's watch on its item, in the index of waiting operations only while it waits", async () => {
    await store.create(newOperation("op-watch"), at);
    const created = (await store.get("op-watch"))!;
    const watch = {
      watchId: "copy",
      kind: "snapshot-copy" as const,
      accountId: "222222222222",
      region: "eu-west-1",
      resource: "aurora-restore-x-copy",
      context: { publish: "none", atStep: "requested" },
      createdAt: at,
    };
    const waitingIds = async () => (await store.waitingOnWatches()).map((o) => o.operationId);
    expect(await waitingIds()).not.toContain("op-watch");

    const waiting = await store.startWatch(created, watch);
    expect(waiting?.version).toBe(created.version + 1);
    expect((await store.get("op-watch"))?.watch).toEqual(watch);
    expect(await waitingIds()).toContain("op-watch");
    // Only the holder of the version it read records a watch.
    expect(await store.startWatch(created, { ...watch, watchId: "other" })).toBeUndefined();

    // Of two checks that found it ready, only the first ends it (and records the handoff).
    const handoff = {
      step: "requested" as const,
      detailType: "Copy Completed",
      detail: {},
      causationId: "tick",
      recordedAt: at,
      watchId: "copy",
    };
    expect(await store.completeWatch(waiting!, "copy", handoff)).toMatchObject({ handoff });
    expect(await store.completeWatch(waiting!, "copy", handoff)).toBeUndefined();
    expect((await store.get("op-watch"))?.watch).toBeUndefined();
    expect(await waitingIds()).not.toContain("op-watch");

    // Every transition ends the wait it was in.
    const again = (await store.startWatch((await store.get("op-watch"))!, watch))!;
    const moved = await store.transition("op-watch", {
      from: { step: again.step, version: again.version },
      to: "snapshot-available",
      at,
    });
    expect(moved.watch).toBeUndefined();
    expect((await store.get("op-watch"))?.watch).toBeUndefined();
    expect(await waitingIds()).not.toContain("op-watch");
  });

  it("finds waiting operations on a table made before the index of waiting operations existed", async () => {
    const { client, stateTable } = await createTables(backend, { stateIndexes: 2 });
    const older = createOperationStore(client, stateTable);
    await older.create(newOperation("op-older"), at);
    const watch = {
      watchId: "copy",
      kind: "snapshot-copy" as const,
      accountId: "222222222222",
      region: "eu-west-1",
      resource: "aurora-restore-x-copy",
      context: { publish: "none", atStep: "requested" },
      createdAt: at,
    };
    await older.startWatch((await older.get("op-older"))!, watch);
    await older.create(newOperation("op-idle"), at);
    expect((await older.waitingOnWatches()).map((o) => o.operationId)).toEqual(["op-older"]);
    expect((await older.waitingOnWatches()).map((o) => o.watch)).toEqual([watch]);
  });

  it("appends audit entries with a TTL from the compliance profile and rejects a duplicate entry", async () => {
    const record = {
      operationId: "op-audit",
      targetKey,
      stage: "configure",
      action: "set-master-password",
      actor: "configure",
      outcome: "succeeded" as const,
      eventId: "evt-1",
      details: { secretArn: "arn:aws:secretsmanager:eu-west-1:222222222222:secret:x", password: "hunter2" },
    };
    const first = await audit.append(record, { at, compliance: "hipaa", entryId: `${at}#fixed` });
    expect(first.expiresAt).toBe(Math.floor(Date.parse(at) / 1000) + 730 * 86_400);
    await expect(audit.append(record, { at, compliance: "hipaa", entryId: `${at}#fixed` })).rejects.toThrow(
      /conditional/i,
    );
    await audit.append(
      { ...record, action: "create-users" },
      { at: "2026-11-28T03:07:00.000Z", compliance: "default" },
    );
    const entries = await audit.listByOperation("op-audit");
    expect(entries.map((e) => e.action)).toEqual(["set-master-password", "create-users"]);
    expect(JSON.stringify(entries)).not.toContain("hunter2");
    expect(entries[0]?.details?.secretArn).toContain("secretsmanager");
    expect((await audit.listByTarget(targetKey)).length).toBeGreaterThanOrEqual(2);
  });

  it("lists the audit entries written since a time, whatever their operation (replay's report)", async () => {
    const entry = (operationId: string, action: string) => ({
      operationId,
      targetKey,
      stage: "copy",
      action,
      actor: "copy",
      outcome: "ignored-duplicate" as const,
    });
    await audit.append(entry("op-since-1", "before"), {
      at: "2031-01-01T00:00:00.000Z",
      compliance: "default",
    });
    await audit.append(entry("op-since-1", "after"), {
      at: "2031-01-02T00:00:00.000Z",
      compliance: "default",
    });
    await audit.append(entry("op-since-2", "after"), {
      at: "2031-01-03T00:00:00.000Z",
      compliance: "default",
    });
    await store.create(newOperation("op-since-3"), "2031-01-04T00:00:00.000Z");
    const since = await audit.listWrittenSince("2031-01-02T00:00:00.000Z");
    expect(since.map((e) => [e.operationId, e.action]).sort()).toEqual([
      ["op-since-1", "after"],
      ["op-since-2", "after"],
    ]);
  });
  it("writes a stage run's records as one item and reads them back as entries, in order, in time windows", async () => {
    const record = (action: string, at: string) => ({
      operationId: "op-run",
      targetKey,
      stage: "configure",
      action,
      actor: "configure",
      outcome: "succeeded" as const,
      at,
      details: { password: "hunter2", username: action },
    });
    const written = await audit.appendRun(
      [
        record("store-master-secret", "2032-01-01T00:00:00.000Z"),
        record("set-master-password", "2032-01-01T00:00:01.000Z"),
        record("grant", "2032-01-01T00:00:03.000Z"),
      ],
      { compliance: "default" },
    );
    // A delivery that ran between them (another stage's item) is read in time order with them.
    await audit.append(
      { ...record("ignored", "2032-01-01T00:00:02.000Z"), stage: "verify", outcome: "ignored-duplicate" },
      { at: "2032-01-01T00:00:02.000Z", compliance: "default" },
    );
    const { Count } = await client.send(
      new ScanCommand({
        TableName: auditTable,
        FilterExpression: "operationId = :o",
        ExpressionAttributeValues: { ":o": "op-run" },
      }),
    );
    expect(Count).toBe(2);
    const entries = await audit.listByOperation("op-run");
    expect(entries.map((e) => e.action)).toEqual([
      "store-master-secret",
      "set-master-password",
      "ignored",
      "grant",
    ]);
    expect(new Set(entries.map((e) => e.entryId)).size).toBe(4);
    expect(entries.map((e) => e.entryId).slice(0, 2)).toEqual(written.map((e) => e.entryId).slice(0, 2));
    expect(
      entries.filter((e) => e.stage === "configure").every((e) => e.expiresAt === written[0]?.expiresAt),
    ).toBe(true);
    // Kept the profile's 90 days from the run's last record: each of its records at least that long.
    expect(written[0]?.expiresAt).toBe(
      Math.floor(Date.parse("2032-01-01T00:00:03.000Z") / 1000) + 90 * 86_400,
    );
    expect(JSON.stringify(entries)).not.toContain("hunter2");
    // The window starts after the item's first record: its later records are still found.
    const since = await audit.listWrittenSince("2032-01-01T00:00:02.500Z");
    expect(since.map((e) => e.action)).toEqual(["grant"]);
  });
});
