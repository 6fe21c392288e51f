import { access, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { rdsDetailTypes } from "@aurora-restore/core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalKms } from "../../src/kms/local-kms";
import { LocalRds } from "../../src/rds/local-rds";
import { ensureLocalCa } from "../../src/rds/tls";
import {
  connect,
  EventLog,
  Gates,
  loginResult,
  production,
  query,
  rejectsWith,
  tempStateDir,
} from "./helpers";

// One PostgreSQL server for the whole file (restarted once to show it survives a restart).
describe("[slow] local RDS clusters and instances", { timeout: 120_000 }, () => {
  const gates = new Gates();
  const log = new EventLog();
  let state: Awaited<ReturnType<typeof tempStateDir>>;
  let kms: LocalKms;
  let rds: LocalRds;
  let ca: string;
  const password = "first-Passw0rd";
  const make = () => new LocalRds({ stateDir: state.dir, kms, emit: log.emit, delay: gates.delay });

  beforeAll(async () => {
    state = await tempStateDir();
    kms = new LocalKms({ stateDir: state.dir });
    rds = make();
    const created = await rds.createCluster({
      ...production,
      clusterIdentifier: "Prod",
      masterUsername: "master",
      masterPassword: password,
      databaseName: "app",
    });
    expect(created.status).toBe("creating");
    expect(created.identifier).toBe("prod");
    await rds.idle();
    ca = await rds.caCertificatePem();
  }, 120_000);

  afterAll(async () => {
    await rds?.stop();
    await state?.cleanup();
  }, 120_000);

  it("creates an available cluster on 127.0.0.1 under the default aws/rds key, with no instance, announced by 0170", async () => {
    const cluster = await rds.port(production).describeCluster("prod");
    const defaultKey = await kms.defaultRdsKey(production);
    expect(cluster).toMatchObject({
      status: "available",
      arn: "arn:aws:rds:us-east-1:111111111111:cluster:prod",
      endpoint: "127.0.0.1",
      engine: "aurora-postgresql",
      masterUsername: "master",
      kmsKeyId: defaultKey.arn,
      members: [],
    });
    expect(log.find("RDS-EVENT-0170", "prod")?.resources).toEqual([cluster.arn]);
    const rows = await query<{ version: string }>(
      cluster,
      { password, ca, database: "app" },
      "SELECT current_setting('server_version') AS version",
    );
    expect(rows[0]?.version).toMatch(/^17\./);
  });

  it("refuses an identifier that exists, and names unknown clusters", async () => {
    const message = await rejectsWith(
      rds.createCluster({
        ...production,
        clusterIdentifier: "prod",
        masterUsername: "master",
        masterPassword: password,
      }),
      "DBClusterAlreadyExistsFault",
    );
    expect(message).toContain("choose another identifier");
    await rejectsWith(rds.port(production).describeCluster("nope"), "DBClusterNotFoundFault");
    // Accounts and regions are namespaces.
    await rejectsWith(
      rds.port({ ...production, region: "eu-west-1" }).describeCluster("prod"),
      "DBClusterNotFoundFault",
    );
  });

  it("serves TLS only, verified against the local CA, with scram-sha-256 passwords", async () => {
    const cluster = await rds.port(production).describeCluster("prod");
    const client = await connect(cluster, { password, ca });
    const ssl = await client.query<{ ssl: boolean }>(
      "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    );
    const method = await client.query<{ rolpassword: string }>(
      "SELECT rolpassword FROM pg_authid WHERE rolname = 'master'",
    );
    await client.end();
    expect(ssl.rows[0]?.ssl).toBe(true);
    expect(method.rows[0]?.rolpassword).toMatch(/^SCRAM-SHA-256\$/);

    const otherCaDir = join(state.dir, "other-ca");
    await mkdir(otherCaDir, { mode: 0o700 });
    const otherCa = await ensureLocalCa(otherCaDir, {});
    const { readFile } = await import("node:fs/promises");
    const foreign = await readFile(otherCa.caCertificate, "utf8");
    await expect(connect(cluster, { password, ca: foreign })).rejects.toThrow(
      /self[- ]signed|unable to verify|certificate/i,
    );

    const plain = new pg.Client({
      host: cluster.endpoint,
      port: cluster.port,
      user: "master",
      password,
      database: "postgres",
      ssl: false,
    });
    plain.on("error", () => undefined);
    await expect(plain.connect()).rejects.toThrow(/no pg_hba.conf entry .*no encryption/);
    expect(await loginResult(cluster, { password: "wrong-Passw0rd", ca })).toBe("28P01");
  });

  it("creates instances (creating → available, 0005) that become the cluster's members", async () => {
    const port = rds.port(production);
    gates.close("create");
    const instance = await port.createInstance({
      instanceIdentifier: "prod-1",
      clusterIdentifier: "prod",
      instanceClass: "db.r6g.large",
      engine: "aurora-postgresql",
    });
    expect(instance).toMatchObject({
      status: "creating",
      arn: "arn:aws:rds:us-east-1:111111111111:db:prod-1",
      clusterIdentifier: "prod",
    });
    await gates.reached("create");
    expect((await port.describeInstance("prod-1")).status).toBe("creating");
    gates.open("create");
    await rds.idle();
    expect((await port.describeInstance("prod-1")).status).toBe("available");
    expect((await port.describeCluster("prod")).members).toEqual([{ instanceIdentifier: "prod-1" }]);
    expect(log.find("RDS-EVENT-0005", "prod-1")?.["detail-type"]).toBe(rdsDetailTypes.instance);

    await rejectsWith(
      port.createInstance({
        instanceIdentifier: "prod-1",
        clusterIdentifier: "prod",
        instanceClass: "db.r6g.large",
        engine: "aurora-postgresql",
      }),
      "DBInstanceAlreadyExistsFault",
    );
    await rejectsWith(
      port.createInstance({
        instanceIdentifier: "x-1",
        clusterIdentifier: "nope",
        instanceClass: "db.r6g.large",
        engine: "aurora-postgresql",
      }),
      "DBClusterNotFoundFault",
    );
    await rejectsWith(port.describeInstance("nope"), "DBInstanceNotFoundFault");
  });

  it("clones a running cluster (same account and region), then deletes the clone with a final snapshot", async () => {
    const port = rds.port(production);
    const source = await port.describeCluster("prod");
    await query(
      source,
      { password, ca, database: "app" },
      "CREATE TABLE marker(v text); INSERT INTO marker VALUES ('before clone')",
    );
    const cloning = await port.cloneCluster({
      clusterIdentifier: "prod-clone",
      sourceClusterIdentifier: "prod",
    });
    expect(cloning).toMatchObject({ status: "creating", members: [], kmsKeyId: source.kmsKeyId });
    await rejectsWith(
      port.cloneCluster({ clusterIdentifier: "prod-clone", sourceClusterIdentifier: "prod" }),
      "DBClusterAlreadyExistsFault",
    );
    await rds.idle();
    const clone = await port.describeCluster("prod-clone");
    expect(clone.status).toBe("available");
    expect(clone.port).not.toBe(source.port);
    const rows = await query<{ v: string }>(clone, { password, ca, database: "app" }, "SELECT v FROM marker");
    expect(rows).toEqual([{ v: "before clone" }]);

    await port.deleteCluster({
      clusterIdentifier: "prod-clone",
      finalSnapshotIdentifier: "prod-clone-final",
    });
    await rds.idle();
    await rejectsWith(port.describeCluster("prod-clone"), "DBClusterNotFoundFault");
    expect(await port.describeClusterSnapshot("prod-clone-final")).toMatchObject({
      status: "available",
      clusterIdentifier: "prod-clone",
      type: "manual",
    });
  });

  it("applies a new master password only after a delay: the old one works until then, even once 'available'", async () => {
    const port = rds.port(production);
    const newPassword = "second-Passw0rd";
    gates.close("passwordChange");
    const modified = await port.modifyCluster({ clusterIdentifier: "prod", masterUserPassword: newPassword });
    expect(modified.status).toBe("resetting-master-credentials");
    await rejectsWith(
      port.modifyCluster({ clusterIdentifier: "prod", newClusterIdentifier: "other" }),
      "InvalidDBClusterStateFault",
    );
    await gates.reached("passwordChange");
    const cluster = await port.describeCluster("prod");
    expect(await loginResult(cluster, { password, ca })).toBe("ok");
    expect(await loginResult(cluster, { password: newPassword, ca })).toBe("28P01");

    gates.step("passwordChange");
    await gates.reached("passwordChange");
    expect((await port.describeCluster("prod")).status).toBe("available");
    expect(await loginResult(cluster, { password: newPassword, ca })).toBe("28P01");

    gates.open("passwordChange");
    await rds.idle();
    expect(await loginResult(cluster, { password: newPassword, ca })).toBe("ok");
    expect(await loginResult(cluster, { password, ca })).toBe("28P01");
    await rejectsWith(
      port.modifyCluster({ clusterIdentifier: "prod", masterUserPassword: "short" }),
      "InvalidParameterValueException",
    );
  });

  it("renames a cluster: renaming, the new name reserved, then a new identifier and ARN (0172)", async () => {
    const port = rds.port(production);
    gates.close("rename");
    const renaming = await port.modifyCluster({
      clusterIdentifier: "prod",
      newClusterIdentifier: "prod-old",
    });
    expect(renaming).toMatchObject({ identifier: "prod", status: "renaming" });
    await rejectsWith(
      rds.createCluster({
        ...production,
        clusterIdentifier: "prod-old",
        masterUsername: "master",
        masterPassword: password,
      }),
      "DBClusterAlreadyExistsFault",
    );
    gates.open("rename");
    await rds.idle();
    await rejectsWith(port.describeCluster("prod"), "DBClusterNotFoundFault");
    const renamed = await port.describeCluster("prod-old");
    expect(renamed).toMatchObject({
      status: "available",
      arn: "arn:aws:rds:us-east-1:111111111111:cluster:prod-old",
      port: renaming.port,
    });
    expect(log.find("RDS-EVENT-0172", "prod-old")?.detail.Message).toBe(
      "Renamed cluster from prod to prod-old",
    );
    expect((await port.describeInstance("prod-1")).clusterIdentifier).toBe("prod-old");
  });

  it("renames instances", async () => {
    const port = rds.port(production);
    const renaming = await port.renameInstance({
      instanceIdentifier: "prod-1",
      newInstanceIdentifier: "prod-old-1",
    });
    expect(renaming.status).toBe("renaming");
    await rds.idle();
    await rejectsWith(port.describeInstance("prod-1"), "DBInstanceNotFoundFault");
    expect((await port.describeInstance("prod-old-1")).arn).toBe(
      "arn:aws:rds:us-east-1:111111111111:db:prod-old-1",
    );
  });

  it("survives a restart of the process: the registry and the server come back", async () => {
    await rds.stop();
    await rds.stop(); // idempotent
    const before = await rds.port(production).describeCluster("prod-old");
    await expect(loginResult(before, { password: "second-Passw0rd", ca })).resolves.not.toBe("ok");
    rds = make();
    await rds.start();
    const after = await rds.port(production).describeCluster("prod-old");
    expect(after).toMatchObject({ status: "available", members: [{ instanceIdentifier: "prod-old-1" }] });
    const rows = await query<{ datname: string }>(
      after,
      { password: "second-Passw0rd", ca, database: "app" },
      "SELECT current_database() AS datname",
    );
    expect(rows[0]?.datname).toBe("app");
  });

  it("deletes: refused while instances remain, then the server stops and its data is removed (0171)", async () => {
    const port = rds.port(production);
    const cluster = await port.describeCluster("prod-old");
    const message = await rejectsWith(
      port.deleteCluster({ clusterIdentifier: "prod-old" }),
      "InvalidDBClusterStateFault",
    );
    expect(message).toContain("delete them first");
    await port.deleteInstance("prod-old-1");
    await rds.idle();
    expect(log.find("RDS-EVENT-0003", "prod-old-1")).toBeDefined();
    gates.close("delete");
    await port.deleteCluster({ clusterIdentifier: "prod-old" });
    expect((await port.describeCluster("prod-old")).status).toBe("deleting");
    gates.open("delete");
    await rds.idle();
    await rejectsWith(port.describeCluster("prod-old"), "DBClusterNotFoundFault");
    expect(log.find("RDS-EVENT-0171", "prod-old")?.detail.EventCategories).toEqual(["deletion"]);
    expect(await loginResult(cluster, { password: "second-Passw0rd", ca })).toMatch(/ECONNREFUSED/);
    const clustersDir = join(state.dir, "rds", "clusters");
    const { readdir } = await import("node:fs/promises");
    expect(await readdir(clustersDir)).toEqual([]);
    await expect(access(join(state.dir, "rds", "registry.json"))).resolves.toBeUndefined();
  });
});
