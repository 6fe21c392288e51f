import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ClusterConfigured,
  RestoreCompleted,
  RestoreRequested,
  RestoreVerified,
} from "@aurora-restore/core/events/domain";
import type { PlanInput } from "@aurora-restore/core/plan/index";
import type { AccountRegion, DbCluster } from "@aurora-restore/core/ports/index";
import { snapshotIdentifierOfArn } from "@aurora-restore/core/stages/kit";
import type { OperationInfo } from "@aurora-restore/core/storage/operations";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aliasArn, demoNames } from "../../src/demo/demo-plan";
import { ensureDemoKeys } from "../../src/demo/demo-setup";
import { listAllOperations } from "../../src/runtime/open-state";
import { waitForOperation } from "../../src/runtime/operation-progress";
import type { CountedPort } from "../../src/runtime/port-counters";
import { type LocalRuntime, startLocalRuntime } from "../../src/runtime/start-local-runtime";

/**
 * The real handlers on the local bus with instant clusters: the local RDS keeps its API (statuses, events,
 * encrypted snapshots, sharing, re-encrypted copies, renames, deletions) but starts no PostgreSQL, and the
 * stages' DatabasePort answers from each cluster's roles and table catalogue. One refresh is checked end to
 * end, with every side effect counted at the ports; then 20 concurrent refreshes of distinct targets.
 */

const production: AccountRegion = { accountId: "111111111111", region: "us-east-1" };
const staging: AccountRegion = { accountId: "222222222222", region: "eu-west-1" };
const zero = { create: 0, copy: 0, rename: 0, passwordChange: 0, delete: 0, snapshot: 0 };
const source = "production-db";
const sourceMaster = { username: "prod_admin", password: "Prod-master-Passw0rd" };
const sourceReaderPassword = "Prod-reader-Passw0rd";
const database = "shop";
const rows = { customers: 12, orders: 30 };
const bulkTargets = Array.from({ length: 20 }, (_, i) => `qa-${String(i + 1).padStart(2, "0")}`);

function target(clusterIdentifier: string, users: ("app_writer" | "app_reader")[]) {
  return {
    ...staging,
    clusterIdentifier,
    kmsKeyId: aliasArn(staging, demoNames.targetKeyAlias),
    instances: { instanceClass: "db.r6g.large", count: 1 },
    database,
    masterSecretName: `aurora-restore/${clusterIdentifier}/master`,
    applicationUsers: users.map((username) => ({
      username,
      secretName: `aurora-restore/${clusterIdentifier}/${username}`,
      grants:
        username === "app_writer"
          ? [{ privileges: ["SELECT", "INSERT", "UPDATE", "DELETE"], schema: "public" }]
          : [{ privileges: ["SELECT"], schema: "public", tables: ["customers", "orders"] }],
    })),
    postRestoreSql: [
      {
        name: "mask-customers",
        sql: "UPDATE public.customers SET full_name = 'Customer ' || id, email = 'customer-' || id || '@example.invalid'",
      },
    ],
    checks: [
      { type: "table-exists", name: "customers table exists", table: "customers" },
      { type: "row-count", name: "customers copied", table: "public.customers", min: 1 },
      { type: "row-count", name: "orders copied", table: "orders", min: rows.orders, max: rows.orders },
      { type: "sql", name: "orders present", sql: "SELECT count(*) > 0 FROM public.orders" },
    ],
  };
}

function plan(
  id: string,
  targets: ReturnType<typeof target>[],
  snapshotTypes: ("automated" | "manual")[],
  topicArn: string,
): PlanInput {
  return {
    id,
    source: {
      ...production,
      clusterIdentifier: source,
      roleArn: demoNames.sourceRoleArn,
      shareableKmsKeyId: aliasArn(production, demoNames.shareableKeyAlias),
    },
    targets,
    trigger: { type: "every-snapshot", snapshotTypes },
    compliance: "default",
    notificationTopicArn: topicArn,
  } as PlanInput;
}

describe("instant clusters: the pipeline with no PostgreSQL data path", () => {
  let dir: string;
  let stateDir: string;
  let runtime: LocalRuntime;
  const logLines: string[] = [];

  async function operationsOf(planId: string, count: number, timeoutMs = 10_000): Promise<OperationInfo[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await listAllOperations(runtime.store)).filter((o) => o.planId === planId);
      if (found.length >= count) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `${found.length} of ${count} operations of ${planId} started; log:\n${logLines.slice(-30).join("")}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function password(secretId: string, versionStage?: string): Promise<string> {
    const value = await runtime.secrets
      .port(staging)
      .getSecretValue({ secretId, ...(versionStage ? { versionStage } : {}) });
    return (JSON.parse(value.secretString) as { password: string }).password;
  }

  async function loginCode(cluster: DbCluster, user: string, pass: string): Promise<string> {
    try {
      const session = await runtime.database.connect({
        host: cluster.endpoint!,
        port: cluster.port!,
        database,
        user,
        password: pass,
      });
      await session.close();
      return "ok";
    } catch (error) {
      return String((error as { code?: unknown }).code);
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "aurora-instant-"));
    stateDir = join(dir, "state");
    runtime = await startLocalRuntime({
      stateDir,
      clusters: "instant",
      rdsTimings: zero,
      watcherIntervalMs: 100,
      log: { write: (line: string) => logLines.push(line) },
    });
    await ensureDemoKeys(runtime.kms);
    await runtime.registerPlan(
      plan(
        "instant-one",
        [target("staging-db", ["app_writer", "app_reader"])],
        ["automated"],
        runtime.topicArn,
      ),
    );
    await runtime.rds.createCluster({
      ...production,
      clusterIdentifier: source,
      masterUsername: sourceMaster.username,
      masterPassword: sourceMaster.password,
      databaseName: database,
    });
    const cluster = await runtime.rds.waitForCluster(production, source, 10_000);
    await runtime.rds.instant!.seed({ ...production, clusterIdentifier: source, database, tables: rows });
    // Production already has a reader role: the refresh carries it over and resets its password.
    const admin = await runtime.database.connect({
      host: cluster.endpoint!,
      port: cluster.port!,
      database,
      user: sourceMaster.username,
      password: sourceMaster.password,
    });
    try {
      await admin.query(`CREATE ROLE app_reader WITH LOGIN PASSWORD '${sourceReaderPassword}'`);
      await admin.query("GRANT SELECT ON ALL TABLES IN SCHEMA public TO app_reader");
    } finally {
      await admin.close();
    }
  });

  afterAll(async () => {
    await runtime?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("refreshes a target in another account and region from an automated snapshot", async () => {
    const started = Date.now();
    await runtime.rds.createAutomatedSnapshot(production, source);
    const [operation] = await operationsOf("instant-one", 1);
    const final = await waitForOperation(runtime.store, operation!.operationId, {
      timeoutMs: 60_000,
      pollMs: 20,
    });
    await runtime.idle();
    console.log(`one refresh with instant clusters: ${Date.now() - started} ms`);
    expect(final.error).toBeUndefined();
    expect(final).toMatchObject({ status: "succeeded", trigger: "snapshot-event" });

    const cluster = await runtime.rds.port(staging).describeCluster("staging-db");
    expect(cluster).toMatchObject({ status: "available", masterUsername: sourceMaster.username });
    expect(cluster.members).toHaveLength(1);

    // The application users log in with their secrets' AWSCURRENT passwords, and only with those.
    for (const user of ["app_writer", "app_reader"]) {
      const current = await password(`aurora-restore/staging-db/${user}`);
      expect(await loginCode(cluster, user, current)).toBe("ok");
      expect(await loginCode(cluster, user, `${current}x`)).toBe("28P01");
    }
    const master = await password("aurora-restore/staging-db/master");
    expect(await loginCode(cluster, sourceMaster.username, master)).toBe("ok");
    // Production's master and reader passwords came with the snapshot and no longer work on the target...
    expect(await loginCode(cluster, sourceMaster.username, sourceMaster.password)).toBe("28P01");
    expect(await loginCode(cluster, "app_reader", sourceReaderPassword)).toBe("28P01");
    // ...while production is untouched.
    const prod = await runtime.rds.port(production).describeCluster(source);
    expect(await loginCode(prod, "app_reader", sourceReaderPassword)).toBe("ok");

    // The data came along: the reader counts the source's rows through its own grant.
    const reader = await runtime.database.connect({
      host: cluster.endpoint!,
      port: cluster.port!,
      database,
      user: "app_reader",
      password: await password("aurora-restore/staging-db/app_reader"),
    });
    try {
      const { rows: counted } = await reader.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM public.customers",
      );
      expect(counted).toEqual([{ n: rows.customers }]);
      const refused = await reader.query("UPDATE public.orders SET id = id").catch((e: unknown) => e);
      expect((refused as { code?: string }).code).toBe("42501");
      const unknown = await reader
        .query("SELECT count(*) = 0 FROM public.customers WHERE email NOT LIKE '%@example.invalid'")
        .catch((e: unknown) => e);
      expect((unknown as { code?: string }).code).toBe("0A000");
      expect((unknown as Error).message).toContain('use clusters: "postgres"');
    } finally {
      await reader.close();
    }

    // What ran on the target: roles, grants and the masking statement, once; nothing ran on production.
    const held = runtime.rds.instant!.describe(staging, "staging-db");
    expect(Object.keys(held.roles).sort()).toEqual(["app_reader", "app_writer", sourceMaster.username]);
    expect(held.databases[database]?.tables).toEqual({
      "public.customers": { rows: rows.customers, owner: sourceMaster.username },
      "public.orders": { rows: rows.orders, owner: sourceMaster.username },
    });
    const grants = held.databases[database]!.grants.filter((g) => g.role === "app_reader");
    expect(grants).toEqual(
      expect.arrayContaining([
        { role: "app_reader", privilege: "connect", object: `database:${database}` },
        { role: "app_reader", privilege: "usage", object: "schema:public" },
        { role: "app_reader", privilege: "select", object: "table:public.customers" },
      ]),
    );
    const kinds = held.statements.map((s) => s.kind);
    expect(kinds.filter((k) => k === "UPDATE")).toHaveLength(1);
    expect(held.statements.find((s) => s.kind === "UPDATE")).toMatchObject({
      user: sourceMaster.username,
      rowCount: rows.customers,
    });
    expect(held.statements.map((s) => s.text).join("\n")).not.toMatch(/SCRAM-SHA-256/);
    expect(runtime.rds.instant!.describe(production, source).statements.map((s) => s.kind)).toEqual([
      "CREATE ROLE",
      "GRANT",
    ]);

    // Each AWS side effect exactly once, counted at the stages' ports.
    const calls = runtime.calls;
    // The copies it used (shared by every target of the snapshot; this is the only one).
    const copyOf = (key: string) => snapshotIdentifierOfArn(String(final.outputs[key]))!;
    const names = {
      shareableSnapshot: copyOf("shareableSnapshotArn"),
      targetSnapshot: copyOf("targetSnapshotArn"),
    };
    const hop = copyOf("hopSnapshotArn");
    const exactly = (expected: number, port: CountedPort, call: string, subject?: string) =>
      expect(calls.count(port, call, subject ? { subject } : {}), `${port}.${call} ${subject ?? ""}`).toBe(
        expected,
      );
    exactly(1, "rds", "copyClusterSnapshot", names.shareableSnapshot);
    exactly(1, "rds", "shareClusterSnapshot", names.shareableSnapshot);
    exactly(1, "rds", "copyClusterSnapshot", hop);
    exactly(1, "rds", "copyClusterSnapshot", names.targetSnapshot);
    exactly(3, "rds", "copyClusterSnapshot"); // share, then two hops: into staging's account, then region
    exactly(1, "rds", "restoreClusterFromSnapshot", "staging-db-next");
    exactly(1, "rds", "createInstance", "staging-db-next");
    exactly(2, "rds", "modifyCluster", "staging-db-next"); // the master password, then the rename
    exactly(1, "rds", "renameInstance", "staging-db-next-1");
    exactly(0, "rds", "deleteCluster"); // nothing to replace on a first refresh
    exactly(1, "rds", "deleteClusterSnapshot", names.shareableSnapshot);
    exactly(1, "rds", "deleteClusterSnapshot", names.targetSnapshot);
    exactly(1, "rds", "deleteClusterSnapshot", hop);
    exactly(3, "rds", "deleteClusterSnapshot"); // every intermediate snapshot, once
    for (const secret of ["master", "app_writer", "app_reader"]) {
      exactly(1, "secrets", "createSecret", `aurora-restore/staging-db/${secret}`);
    }
    exactly(3, "secrets", "createSecret");
    exactly(0, "secrets", "putSecretValue"); // created with these values; the endpoint kept its host and port
    exactly(1, "sns", "publish");
    exactly(1, "database", "CREATE ROLE");
    exactly(1, "database", "ALTER ROLE");
    exactly(6, "database", "GRANT"); // per user: CONNECT, USAGE, the table privileges
    exactly(1, "database", "UPDATE");
    // Zero timings: the new master password is in force when ModifyDBCluster returns; one login suffices.
    exactly(1, "database", "connect", sourceMaster.username);
    expect(calls.count("database", "connect", { ok: false })).toBe(0);
    for (const detailType of [
      RestoreRequested.detailType,
      ClusterConfigured.detailType,
      RestoreVerified.detailType,
      RestoreCompleted.detailType,
    ]) {
      exactly(1, "events", detailType);
    }
  }, 90_000);

  it("runs 20 concurrent refreshes of distinct targets, each side effect once per target (the copies once)", async () => {
    await runtime.registerPlan(
      plan(
        "instant-bulk",
        bulkTargets.map((t) => target(t, ["app_writer"])),
        ["manual"],
        runtime.topicArn,
      ),
    );
    runtime.calls.reset();
    const started = Date.now();
    await runtime.rds
      .port(production)
      .createClusterSnapshot({ clusterIdentifier: source, snapshotIdentifier: "bulk-1" });
    const operations = await operationsOf("instant-bulk", bulkTargets.length, 60_000);
    const finals = await Promise.all(
      operations.map((o) =>
        waitForOperation(runtime.store, o.operationId, { timeoutMs: 180_000, pollMs: 100 }),
      ),
    ).catch(async (error: unknown) => {
      // Where the stragglers stand, and what the stages complained about.
      const stuck = (await listAllOperations(runtime.store)).filter((o) => o.status === "running");
      console.log(stuck.map((o) => `${o.operationId} ${o.target.clusterIdentifier} ${o.step}`).join("\n"));
      console.log(
        logLines
          .filter((l) => /WARN|ERROR/.test(l))
          .slice(-40)
          .join(""),
      );
      throw error;
    });
    const elapsedMs = Date.now() - started;
    await runtime.idle();
    console.log(`${bulkTargets.length} concurrent refreshes with instant clusters: ${elapsedMs} ms`);
    expect(finals.filter((f) => f.status !== "succeeded").map((f) => f.error)).toEqual([]);
    expect(finals.map((f) => f.target.clusterIdentifier).sort()).toEqual(bulkTargets);

    const calls = runtime.calls;
    for (const name of bulkTargets) {
      const cluster = await runtime.rds.port(staging).describeCluster(name);
      expect(cluster.status).toBe("available");
      const current = await password(`aurora-restore/${name}/app_writer`);
      expect(await loginCode(cluster, "app_writer", current)).toBe("ok");
      expect(await loginCode(cluster, sourceMaster.username, sourceMaster.password)).toBe("28P01");
      expect(
        runtime.rds.instant!.describe(staging, name).statements.filter((s) => s.kind === "UPDATE"),
      ).toHaveLength(1);
      expect(calls.count("rds", "restoreClusterFromSnapshot", { subject: `${name}-next` })).toBe(1);
      expect(calls.count("rds", "modifyCluster", { subject: `${name}-next` })).toBe(2);
      expect(calls.count("secrets", "createSecret", { subject: `aurora-restore/${name}/master` })).toBe(1);
      expect(calls.count("secrets", "createSecret", { subject: `aurora-restore/${name}/app_writer` })).toBe(
        1,
      );
    }
    const totals = calls.totals();
    // The refreshes of one snapshot share its three intermediate copies: each made once, deleted once.
    const copies = new Set(
      finals.flatMap((f) =>
        ["shareableSnapshotArn", "hopSnapshotArn", "targetSnapshotArn"].map(
          (key) => snapshotIdentifierOfArn(String(f.outputs[key]))!,
        ),
      ),
    );
    expect(copies.size).toBe(3);
    for (const copy of copies) {
      expect(calls.count("rds", "copyClusterSnapshot", { subject: copy }), copy).toBe(1);
      expect(calls.count("rds", "deleteClusterSnapshot", { subject: copy }), copy).toBe(1);
    }
    expect(totals.rds).toMatchObject({
      copyClusterSnapshot: 3,
      shareClusterSnapshot: bulkTargets.length,
      restoreClusterFromSnapshot: bulkTargets.length,
      createInstance: bulkTargets.length,
      modifyCluster: 2 * bulkTargets.length,
      renameInstance: bulkTargets.length,
      deleteClusterSnapshot: 3,
    });
    expect(totals.sns).toEqual({ publish: bulkTargets.length });
    expect(totals.database).toMatchObject({
      "CREATE ROLE": bulkTargets.length,
      GRANT: 3 * bulkTargets.length,
      UPDATE: bulkTargets.length,
    });
    expect(totals.database["ALTER ROLE"]).toBeUndefined();
  }, 300_000);

  it("started no PostgreSQL server and wrote no data directory", async () => {
    const rdsDir = await readdir(join(stateDir, "rds"));
    expect(rdsDir).not.toContain("clusters");
    expect(rdsDir).not.toContain("tls");
    expect(rdsDir).toContain("instant");
    const processes = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
    expect(processes.split("\n").filter((line) => line.includes(stateDir))).toEqual([]);
    expect(runtime.rds.clusters).toBe("instant");
    expect(runtime.rds.caPem).toBe("");
  });
});
