import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { DatabasePort, DbCluster, DbSession } from "@aurora-restore/core/ports/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalKms } from "../../src/kms/local-kms";
import { LocalRds } from "../../src/rds/local-rds";
import { EventLog, outsider, production, rejectsWith, staging, tempStateDir } from "./helpers";

const engine = "aurora-postgresql";
const password = "Prod-Passw0rd";
const fast = { create: 0, copy: 0, rename: 0, delete: 0, snapshot: 0 };

/** Instant clusters: the local RDS's API with no PostgreSQL server; fast, so no gates are needed. */
describe("[slow] local RDS with instant clusters", () => {
  const log = new EventLog();
  let state: Awaited<ReturnType<typeof tempStateDir>>;
  let kms: LocalKms;
  let rds: LocalRds;
  let db: DatabasePort;
  let prodKey: string;
  let stagingKey: string;
  let outsiderKey: string;

  const make = (passwordChange: number) =>
    new LocalRds({
      stateDir: state.dir,
      kms,
      emit: log.emit,
      clusters: "instant",
      durations: { ...fast, passwordChange },
    });

  async function available(port: ReturnType<LocalRds["port"]>, id: string): Promise<DbCluster> {
    for (let i = 0; i < 500; i++) {
      const cluster = await port.describeCluster(id);
      if (cluster.status === "available") return cluster;
      await sleep(5);
    }
    throw new Error(`${id} did not become available`);
  }

  async function snapshotAvailable(port: ReturnType<LocalRds["port"]>, id: string): Promise<void> {
    for (let i = 0; i < 500; i++) {
      if ((await port.describeClusterSnapshot(id)).status === "available") return;
      await sleep(5);
    }
    throw new Error(`${id} did not become available`);
  }

  async function login(cluster: DbCluster, user: string, pass: string, database = "app"): Promise<DbSession> {
    return db.connect({ host: cluster.endpoint!, port: cluster.port!, database, user, password: pass });
  }

  async function codeOf(promise: Promise<unknown>): Promise<string> {
    try {
      const session = await promise;
      await (session as DbSession | undefined)?.close?.();
      return "ok";
    } catch (error) {
      return String((error as { code?: unknown }).code);
    }
  }

  beforeAll(async () => {
    state = await tempStateDir();
    kms = new LocalKms({ stateDir: state.dir });
    prodKey = (await kms.createKey({ ...production, policy: { allowAccounts: [staging.accountId] } })).arn;
    stagingKey = (await kms.createKey({ ...staging })).arn;
    outsiderKey = (await kms.createKey({ ...outsider })).arn;
    rds = make(0);
    await rds.start();
    db = rds.instant!.database;
    await rds.createCluster({
      ...production,
      clusterIdentifier: "prod",
      masterUsername: "master",
      masterPassword: password,
      kmsKeyId: prodKey,
      databaseName: "app",
    });
    await available(rds.port(production), "prod");
    await rds.instant!.seed({
      ...production,
      clusterIdentifier: "prod",
      database: "app",
      tables: { customers: 7 },
    });
  });

  afterAll(async () => {
    await rds?.stop();
    await state?.cleanup();
  });

  it("checks logins as PostgreSQL does", async () => {
    const prod = await rds.port(production).describeCluster("prod");
    expect(prod).toMatchObject({ status: "available", endpoint: "127.0.0.1", engine });
    // The event goes out at the end of the creation's transition, which may still be finishing.
    await rds.idle();
    expect(log.ids()).toContain("RDS-EVENT-0170");
    expect(await codeOf(login(prod, "master", password))).toBe("ok");
    expect(await codeOf(login(prod, "master", "wrong-password"))).toBe("28P01");
    expect(await codeOf(login(prod, "nobody", password))).toBe("28P01");
    expect(await codeOf(login(prod, "master", password, "missing"))).toBe("3D000");
    expect(
      await codeOf(db.connect({ host: "127.0.0.1", port: 1, database: "app", user: "master", password })),
    ).toBe("ECONNREFUSED");
  });

  it("runs the statements the stages send, refusing what it cannot simulate", async () => {
    const prod = await rds.port(production).describeCluster("prod");
    const master = await login(prod, "master", password);
    try {
      expect(
        (await master.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", ["reader"])).rowCount,
      ).toBe(0);
      await master.query("CREATE ROLE \"reader\" WITH LOGIN PASSWORD 'Reader-Passw0rd'");
      expect(
        (await master.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", ["reader"])).rows,
      ).toEqual([{ "?column?": 1 }]);
      await expect(master.query('CREATE ROLE "reader" WITH LOGIN')).rejects.toMatchObject({ code: "42710" });
      await expect(master.query('GRANT SELECT ON TABLE "public"."orders" TO "reader"')).rejects.toMatchObject(
        {
          code: "42P01",
        },
      );
      await expect(
        master.query('GRANT USAGE ON TABLE "public"."customers" TO "reader"'),
      ).rejects.toMatchObject({
        code: "0LP01",
      });
      const { rows } = await master.query("SELECT to_regclass($1) IS NOT NULL AS present", ["customers"]);
      expect(rows).toEqual([{ present: true }]);
      expect((await master.query("SELECT to_regclass($1) IS NOT NULL AS present", ["orders"])).rows).toEqual([
        { present: false },
      ]);
      // One transaction: the second statement fails, so the first does not happen either.
      await expect(
        master.query("CREATE TABLE public.orders (id int); INSERT INTO public.missing VALUES (1)"),
      ).rejects.toMatchObject({ code: "42P01" });
      expect((await master.query("SELECT to_regclass('public.orders') IS NOT NULL AS present")).rows).toEqual(
        [{ present: false }],
      );
      await expect(master.query("SELECT email FROM public.customers")).rejects.toMatchObject({
        code: "0A000",
      });
      await expect(master.query("DELETE FROM public.customers WHERE id = 1")).rejects.toThrow(
        /instant clusters cannot run .*use clusters: "postgres"/,
      );
    } finally {
      await master.close();
    }
    const reader = await login(prod, "reader", "Reader-Passw0rd");
    try {
      await expect(reader.query('SELECT count(*) AS count FROM "public"."customers"')).rejects.toMatchObject({
        code: "42501",
      });
      await expect(reader.query("CREATE ROLE intruder WITH LOGIN PASSWORD 'x'")).rejects.toMatchObject({
        code: "42501",
      });
    } finally {
      await reader.close();
    }
    const again = await login(prod, "master", password);
    await again.query('GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO "reader"');
    await again.close();
    const granted = await login(prod, "reader", "Reader-Passw0rd");
    expect((await granted.query('SELECT count(*) AS count FROM "public"."customers"')).rows).toEqual([
      { count: "7" },
    ]);
    expect((await granted.query("SELECT count(*) >= 7 FROM customers")).rows).toEqual([{ "?column?": true }]);
    await granted.close();
  });

  it("carries roles and tables through an encrypted snapshot, a shared re-encrypted copy and a restore", async () => {
    const prod = rds.port(production);
    const stage = rds.port(staging);
    await prod.createClusterSnapshot({ clusterIdentifier: "prod", snapshotIdentifier: "snap-1" });
    await snapshotAvailable(prod, "snap-1");
    await rds.idle();
    expect(log.ids()).toEqual(expect.arrayContaining(["RDS-EVENT-0074", "RDS-EVENT-0075"]));
    // The manifest is encrypted at rest like any snapshot: no role or table name in the file.
    const registry = JSON.parse(await readFile(join(state.dir, "rds", "registry.json"), "utf8")) as {
      snapshots: { identifier: string; resourceId: string }[];
    };
    const file = join(
      state.dir,
      "rds",
      "snapshots",
      `${registry.snapshots.find((s) => s.identifier === "snap-1")!.resourceId}.data`,
    );
    expect((await readFile(file)).includes("customers")).toBe(false);

    const arn = "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:snap-1";
    await rejectsWith(
      stage.copyClusterSnapshot({ source: arn, targetIdentifier: "copy-1", kmsKeyId: stagingKey }),
      "DBClusterSnapshotNotFoundFault",
    );
    await prod.shareClusterSnapshot({
      snapshotIdentifier: "snap-1",
      accountIds: [staging.accountId, outsider.accountId],
    });
    // The outsider may see the snapshot but prodKey's policy does not let it decrypt.
    await rejectsWith(
      rds.port(outsider).copyClusterSnapshot({
        source: arn,
        targetIdentifier: "stolen",
        kmsKeyId: outsiderKey,
        sourceRegion: production.region,
      }),
      "KMSKeyNotAccessibleFault",
    );
    // Two concurrent copies to one name: exactly one is accepted.
    const copies = await Promise.allSettled(
      [1, 2].map(() =>
        stage.copyClusterSnapshot({
          source: arn,
          targetIdentifier: "copy-1",
          kmsKeyId: stagingKey,
          sourceRegion: production.region,
        }),
      ),
    );
    expect(copies.map((c) => c.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(
      ((copies.find((c) => c.status === "rejected") as PromiseRejectedResult).reason as { code: string })
        .code,
    ).toBe("DBClusterSnapshotAlreadyExistsFault");
    await snapshotAvailable(stage, "copy-1");
    expect(await stage.describeClusterSnapshot("copy-1")).toMatchObject({
      kmsKeyId: stagingKey,
      encrypted: true,
    });

    const restores = await Promise.allSettled(
      [1, 2].map(() =>
        stage.restoreClusterFromSnapshot({ clusterIdentifier: "copy", snapshotIdentifier: "copy-1", engine }),
      ),
    );
    expect(restores.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const restored = await available(stage, "copy");
    expect(restored).toMatchObject({ masterUsername: "master", kmsKeyId: stagingKey });
    expect(restored.port).not.toBe((await prod.describeCluster("prod")).port);
    expect(await codeOf(login(restored, "reader", "Reader-Passw0rd"))).toBe("ok");
    const held = rds.instant!.describe(staging, "copy");
    expect(held.roles).toMatchObject({
      master: { superuser: true },
      reader: { login: true, hasPassword: true },
    });
    expect(held.databases.app?.tables).toEqual({ "public.customers": { rows: 7, owner: "master" } });
    expect(held.statements).toEqual([]);
  });

  it("refuses to restore a snapshot file that was modified", async () => {
    const registry = JSON.parse(await readFile(join(state.dir, "rds", "registry.json"), "utf8")) as {
      snapshots: { identifier: string; resourceId: string; accountId: string }[];
    };
    const record = registry.snapshots.find(
      (s) => s.identifier === "copy-1" && s.accountId === staging.accountId,
    )!;
    const file = join(state.dir, "rds", "snapshots", `${record.resourceId}.data`);
    const bytes = await readFile(file);
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    await writeFile(file, bytes);
    const message = await rejectsWith(
      rds
        .port(staging)
        .restoreClusterFromSnapshot({ clusterIdentifier: "tampered", snapshotIdentifier: "copy-1", engine }),
      "InvalidDBClusterSnapshotStateFault",
    );
    expect(message).toMatch(/AES-GCM authentication/);
    await rejectsWith(rds.port(staging).describeCluster("tampered"), "DBClusterNotFoundFault");
  });

  it("applies a new master password after the simulated delay, renames, and deletes with a final snapshot", async () => {
    await rds.stop();
    rds = make(1_500);
    await rds.start();
    db = rds.instant!.database;
    const stage = rds.port(staging);
    const before = await stage.describeCluster("copy");
    expect(await codeOf(login(before, "master", password))).toBe("ok"); // survived the restart
    await stage.modifyCluster({ clusterIdentifier: "copy", masterUserPassword: "New-Passw0rd" });
    expect((await stage.describeCluster("copy")).status).toBe("resetting-master-credentials");
    expect(await codeOf(login(before, "master", "New-Passw0rd"))).toBe("28P01");
    expect(await codeOf(login(before, "master", password))).toBe("ok");
    await rds.idle();
    expect(await codeOf(login(before, "master", "New-Passw0rd"))).toBe("ok");
    expect(await codeOf(login(before, "master", password))).toBe("28P01");

    await stage.modifyCluster({ clusterIdentifier: "copy", newClusterIdentifier: "renamed" });
    await rds.idle();
    const renamed = await stage.describeCluster("renamed");
    expect(renamed.port).toBe(before.port);
    expect(log.find("RDS-EVENT-0172", "renamed")).toBeDefined();

    await stage.deleteCluster({ clusterIdentifier: "renamed", finalSnapshotIdentifier: "renamed-final" });
    await rejectsWith(stage.deleteCluster({ clusterIdentifier: "renamed" }), "InvalidDBClusterStateFault");
    await rds.idle();
    await rejectsWith(stage.describeCluster("renamed"), "DBClusterNotFoundFault");
    expect(await codeOf(login(renamed, "master", "New-Passw0rd"))).toBe("ECONNREFUSED");
    expect(await stage.describeClusterSnapshot("renamed-final")).toMatchObject({ status: "available" });
    await stage.restoreClusterFromSnapshot({
      clusterIdentifier: "again",
      snapshotIdentifier: "renamed-final",
      engine,
    });
    const again = await available(stage, "again");
    expect(await codeOf(login(again, "master", "New-Passw0rd"))).toBe("ok");
  });

  it("will not open a state folder of the other cluster mode", async () => {
    await rds.stop();
    const other = new LocalRds({ stateDir: state.dir, kms, emit: log.emit });
    await expect(other.start()).rejects.toThrow(/holds instant cluster .* start it with clusters: "instant"/);
    rds = make(0);
    await rds.start();
  });
});
