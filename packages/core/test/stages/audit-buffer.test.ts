import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flushAudit, recordAudit, withAuditBuffer } from "../../src/stages/kit/audit-buffer";
import { type AuditLog, createAuditLog } from "../../src/storage/audit";
import { createTables, type DynamoBackend, startDynalite } from "../support/dynamo";

/** One delivery's audit records become one item per operation, written when it ends (kit/audit-buffer.ts). */
describe("the audit records of a delivery", () => {
  let backend: DynamoBackend;
  let log: AuditLog;
  const items: number[] = [];

  beforeAll(async () => {
    backend = await startDynalite();
    const tables = await createTables(backend);
    const real = createAuditLog(tables.client, tables.auditTable);
    // The real log, counting the items written (each appendRun is one Put).
    log = {
      ...real,
      appendRun: async (records, options) => {
        items.push(records.length);
        return real.appendRun(records, options);
      },
    };
  }, 60_000);
  afterAll(async () => backend?.stop());

  const record = (operationId: string, action: string, details: Record<string, unknown> = {}) => ({
    operationId,
    targetKey: "222222222222/eu-west-1/staging",
    stage: "configure",
    action,
    actor: "configure",
    outcome: "succeeded" as const,
    at: new Date().toISOString(),
    details,
  });

  it("are one item per operation, written when the delivery ends, read back one by one", async () => {
    items.length = 0;
    await withAuditBuffer(log, async () => {
      for (const action of ["a", "b", "c"]) await recordAudit(log, record("op-1", action), "default");
      await recordAudit(log, record("op-2", "x"), "default");
      expect(items).toEqual([]);
      expect(await log.listByOperation("op-1")).toEqual([]);
    });
    expect(items.sort()).toEqual([1, 3]);
    expect((await log.listByOperation("op-1")).map((e) => e.action)).toEqual(["a", "b", "c"]);
    expect((await log.listByOperation("op-2")).map((e) => e.action)).toEqual(["x"]);
  });

  it("are written when the delivery fails too, and the failure goes on", async () => {
    items.length = 0;
    await expect(
      withAuditBuffer(log, async () => {
        await recordAudit(log, record("op-3", "started"), "default");
        throw new Error("throttled");
      }),
    ).rejects.toThrow("throttled");
    expect((await log.listByOperation("op-3")).map((e) => e.action)).toEqual(["started"]);
  });

  it("flushAudit writes what was kept now: a journal a resumed delivery reads", async () => {
    items.length = 0;
    await withAuditBuffer(log, async () => {
      await recordAudit(log, record("op-4", "post-restore-sql"), "default");
      await flushAudit("op-4");
      expect((await log.listByOperation("op-4")).map((e) => e.action)).toEqual(["post-restore-sql"]);
      await recordAudit(log, record("op-4", "configured"), "default");
    });
    expect(items).toEqual([1, 1]);
    expect((await log.listByOperation("op-4")).map((e) => e.action)).toEqual([
      "post-restore-sql",
      "configured",
    ]);
  });

  it("are written at once outside a delivery, and after it ended (work it started that outlives it)", async () => {
    items.length = 0;
    await recordAudit(log, record("op-5", "cli"), "default");
    expect(items).toEqual([1]);
    let late: Promise<void> | undefined;
    await withAuditBuffer(log, async () => {
      late = sleep(20).then(() => recordAudit(log, record("op-5", "late"), "default"));
    });
    await late;
    expect((await log.listByOperation("op-5")).map((e) => e.action)).toEqual(["cli", "late"]);
  });

  it("are split into more items when a run's records grow large (an item stays under 400 KB)", async () => {
    items.length = 0;
    const big = "x".repeat(30_000);
    await withAuditBuffer(log, async () => {
      for (let i = 0; i < 12; i++) await recordAudit(log, record("op-6", `grant ${i}`, { big }), "default");
    });
    expect(items.length).toBeGreaterThan(1);
    expect(items.reduce((a, b) => a + b, 0)).toBe(12);
    expect((await log.listByOperation("op-6")).map((e) => e.action)).toEqual(
      Array.from({ length: 12 }, (_, i) => `grant ${i}`),
    );
  });

  it("keep operations' retention apart: a record with another compliance profile starts an item of its own", async () => {
    items.length = 0;
    await withAuditBuffer(log, async () => {
      await recordAudit(log, record("op-7", "a"), "default");
      await recordAudit(log, record("op-7", "b"), "hipaa");
    });
    const entries = await log.listByOperation("op-7");
    const a = entries.find((e) => e.action === "a");
    const b = entries.find((e) => e.action === "b");
    expect(items).toEqual([1, 1]);
    expect((b?.expiresAt ?? 0) - (a?.expiresAt ?? 0)).toBeGreaterThan(300 * 86_400);
  });
});
