import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stagesInFlowOrder } from "@aurora-restore/core/events/shapes";
import { targetKeyOf } from "@aurora-restore/core/operation/ids";
import type { Plan } from "@aurora-restore/core/plan/index";
import type { ClusterSnapshot } from "@aurora-restore/core/ports/index";
import { ManualRequestError } from "@aurora-restore/core/stages/trigger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoNames, demoPlan, demoProduction, demoStaging } from "../../src/demo/demo-plan";
import { ensureDemoKeys, ensureProductionCluster } from "../../src/demo/demo-setup";
import { demoDatabase } from "../../src/demo/sample-data";
import { ManualRestoreRefusedError, requestManualRestore } from "../../src/runtime/manual-restore";
import { listAllOperations } from "../../src/runtime/open-state";
import { waitForOperation } from "../../src/runtime/operation-progress";
import { type LocalRuntime, startLocalRuntime } from "../../src/runtime/start-local-runtime";

/**
 * `aurora-restore restore` on the embedded default with real PostgreSQL, through the function the command
 * uses (the command starts its own runtime; a state folder is served by one runtime at a time). The demo's
 * plan refreshes here on MANUAL snapshots only, so the automated snapshot the test takes starts nothing by
 * itself: every operation below is a manual request for that snapshot's date.
 */

const rows = 12;
const operationTimeoutMs = 240_000;

describe("an on-demand refresh, end to end", () => {
  let dir: string;
  let runtime: LocalRuntime;
  let plan: Plan;
  let snapshot: ClusterSnapshot;
  let snapshotDate: string;
  const requestedBy = "cli:e2e-test";

  async function auditOf(operationId: string): Promise<string[]> {
    const entries = (await runtime.audit.listByOperation(operationId)).sort((a, b) =>
      a.entryId.localeCompare(b.entryId),
    );
    return entries.map((e) => `${e.stage}:${e.action}:${e.outcome}`);
  }

  async function readerRowCount(): Promise<number> {
    const secret = await runtime.secrets
      .port(demoStaging)
      .getSecretValue({ secretId: `aurora-restore/${demoNames.targetCluster}/${demoNames.readerUser}` });
    const { password } = JSON.parse(secret.secretString) as { password: string };
    const cluster = await runtime.rds.port(demoStaging).describeCluster(demoNames.targetCluster);
    const session = await runtime.database.connect({
      host: cluster.endpoint!,
      port: cluster.port!,
      database: demoDatabase,
      user: demoNames.readerUser,
      password,
    });
    try {
      const { rows: found } = await session.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM public.customers",
      );
      return found[0]!.n;
    } finally {
      await session.close();
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "aurora-manual-"));
    // When tests run as root the servers run as 'postgres', which must be able to traverse to the state folder.
    await chmod(dir, 0o711);
    runtime = await startLocalRuntime({
      stateDir: join(dir, "state"),
      watcherIntervalMs: 250,
      rdsTimings: { create: 50, copy: 50, rename: 50, passwordChange: 100, delete: 50, snapshot: 50 },
    });
    await ensureDemoKeys(runtime.kms);
    plan = await runtime.registerPlan(
      { ...demoPlan(runtime.topicArn), trigger: { type: "every-snapshot", snapshotTypes: ["manual"] } },
      join(dir, "plan.json"),
    );
    await ensureProductionCluster(runtime, rows, () => undefined);
    const taken = await runtime.rds.createAutomatedSnapshot(demoProduction, demoNames.sourceCluster);
    await runtime.idle();
    snapshot = await runtime.rds.port(demoProduction).describeClusterSnapshot(taken.arn);
    snapshotDate = snapshot.createdAt!.slice(0, 10);
  }, 180_000);

  afterAll(async () => {
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it("took an automated snapshot that started nothing by itself", async () => {
    expect(snapshot).toMatchObject({ type: "automated", status: "available" });
    expect(await listAllOperations(runtime.store)).toEqual([]);
  });

  it("refreshes the target from that date's snapshot under the requested operation id", async () => {
    const started = await requestManualRestore(runtime, {
      targetClusterId: demoNames.targetCluster,
      sourceSnapshotDate: snapshotDate,
      operationId: "refresh-e2e-1",
      requestedBy,
    });
    expect(started).toMatchObject({ operationId: "refresh-e2e-1", outcome: "started" });
    const final = await waitForOperation(runtime.store, "refresh-e2e-1", { timeoutMs: operationTimeoutMs });
    await runtime.idle();
    expect(final.error).toBeUndefined();
    expect(final).toMatchObject({
      status: "succeeded",
      trigger: "manual",
      requestedBy,
      targetKey: targetKeyOf(plan.targets[0]!),
      sourceSnapshot: { arn: snapshot.arn, type: "automated" },
    });
    expect(await readerRowCount()).toBe(rows);
    const trail = await auditOf("refresh-e2e-1");
    expect(trail[0]).toBe("trigger:start-operation:started");
    const stages = new Set(trail.map((line) => line.split(":")[0]));
    expect([...stages]).toEqual(expect.arrayContaining(stagesInFlowOrder.slice(0, 7)));
  }, 300_000);

  it("refuses a date without a snapshot, listing the dates that have one; audited", async () => {
    const error = await requestManualRestore(runtime, {
      targetClusterId: demoNames.targetCluster,
      sourceSnapshotDate: "2020-01-01",
      operationId: "refresh-e2e-no-snapshot",
      requestedBy,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManualRestoreRefusedError);
    expect((error as Error).message).toContain(
      `source_snapshot_date: source cluster ${demoNames.sourceCluster} (${demoProduction.accountId}/${demoProduction.region}) has no available snapshot taken on 2020-01-01 (UTC). Dates with snapshots: ${snapshotDate}.`,
    );
    expect(await runtime.store.get("refresh-e2e-no-snapshot")).toBeUndefined();
    expect(await auditOf("refresh-e2e-no-snapshot")).toEqual(["trigger:manual-request:rejected"]);
  });

  it("refuses a malformed date before publishing, and an unplanned target through the trigger, naming the field", async () => {
    const malformed = await requestManualRestore(runtime, {
      targetClusterId: demoNames.targetCluster,
      sourceSnapshotDate: "2026-02-30",
      operationId: "refresh-e2e-bad-date",
      requestedBy,
    }).catch((e: unknown) => e);
    expect(malformed).toBeInstanceOf(ManualRequestError);
    expect((malformed as Error).message).toContain(
      'source_snapshot_date: "2026-02-30" is not a date in the form YYYY-MM-DD',
    );
    expect(await auditOf("refresh-e2e-bad-date")).toEqual([]);

    const unplanned = await requestManualRestore(runtime, {
      targetClusterId: "qa-db",
      sourceSnapshotDate: snapshotDate,
      operationId: "refresh-e2e-qa",
      requestedBy,
    }).catch((e: unknown) => e);
    expect(unplanned).toBeInstanceOf(ManualRestoreRefusedError);
    expect((unplanned as Error).message).toContain(
      `target_cluster_id: no plan has a target cluster named qa-db. Planned targets: ${demoNames.targetCluster} (plan ${plan.id}`,
    );
    expect(await auditOf("refresh-e2e-qa")).toEqual(["trigger:manual-request:rejected"]);
  });

  it("generates an operation id when none is given, and refuses a second request while that one runs", async () => {
    const request = {
      targetClusterId: demoNames.targetCluster,
      sourceSnapshotDate: snapshotDate,
      requestedBy,
    };
    const first = await requestManualRestore(runtime, request);
    expect(first.outcome).toBe("started");
    expect(first.operationId).toMatch(/^manual-[0-9a-f-]{36}$/);

    // A refresh takes seconds (servers start, data is copied); the trigger answers this one at once.
    const second = await requestManualRestore(runtime, { ...request, operationId: "refresh-e2e-busy" }).catch(
      (e: unknown) => e,
    );
    expect(second).toBeInstanceOf(ManualRestoreRefusedError);
    expect((second as Error).message).toContain(
      `Target ${targetKeyOf(plan.targets[0]!)} already has an active operation (${first.operationId})`,
    );
    expect(await runtime.store.get("refresh-e2e-busy")).toBeUndefined();
    expect(await auditOf("refresh-e2e-busy")).toEqual(["trigger:start-operation:rejected"]);

    const final = await waitForOperation(runtime.store, first.operationId, { timeoutMs: operationTimeoutMs });
    await runtime.idle();
    expect(final.error).toBeUndefined();
    expect(final.status).toBe("succeeded");
    expect(await readerRowCount()).toBe(rows);
  }, 300_000);
});
