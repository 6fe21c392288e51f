import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { rdsDetailTypes } from "@aurora-restore/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalKms } from "../../src/kms/local-kms";
import { LocalRds } from "../../src/rds/local-rds";
import {
  EventLog,
  Gates,
  outsider,
  production,
  query,
  rejectsWith,
  staging,
  stagingInProductionRegion,
  tempStateDir,
} from "./helpers";

const engine = "aurora-postgresql";

// Two PostgreSQL servers: production, and one restore in the staging account.
describe("[slow] local RDS snapshots: create, share, copy, restore", {
  timeout: 120_000,
}, () => {
  const gates = new Gates();
  const log = new EventLog();
  const warnings: string[] = [];
  let now = new Date("2026-03-04T05:06:07Z");
  let state: Awaited<ReturnType<typeof tempStateDir>>;
  let kms: LocalKms;
  let rds: LocalRds;
  let ca: string;
  let prodKey: string;
  let stagingKey: string;
  let stagingKeyWrongRegion: string;
  let outsiderKey: string;
  const password = "prod-Passw0rd";
  const prod = () => rds.port(production);
  const stage = () => rds.port(staging);
  const snapshotArn = (id: string) => `arn:aws:rds:us-east-1:111111111111:cluster-snapshot:${id}`;
  const dataFile = async (account: string, identifier: string) => {
    const registry = JSON.parse(await readFile(join(state.dir, "rds", "registry.json"), "utf8")) as {
      snapshots: { accountId: string; identifier: string; resourceId: string }[];
    };
    const record = registry.snapshots.find((s) => s.accountId === account && s.identifier === identifier);
    return join(state.dir, "rds", "snapshots", `${record?.resourceId}.data`);
  };

  beforeAll(async () => {
    state = await tempStateDir();
    kms = new LocalKms({ stateDir: state.dir });
    rds = new LocalRds({
      stateDir: state.dir,
      kms,
      emit: log.emit,
      delay: gates.delay,
      clock: () => now,
      onWarning: (m) => warnings.push(m),
    });
    prodKey = (
      await kms.createKey({
        ...production,
        alias: "alias/prod-snapshots",
        policy: { allowAccounts: [staging.accountId] },
      })
    ).arn;
    stagingKey = (await kms.createKey({ ...staging, alias: "alias/staging-restore" })).arn;
    stagingKeyWrongRegion = (await kms.createKey({ ...stagingInProductionRegion })).arn;
    outsiderKey = (await kms.createKey({ ...outsider })).arn;
    await rds.createCluster({
      ...production,
      clusterIdentifier: "prod",
      masterUsername: "master",
      masterPassword: password,
      kmsKeyId: prodKey,
      databaseName: "app",
    });
    await rds.idle();
    ca = await rds.caCertificatePem();
    await query(
      await prod().describeCluster("prod"),
      { password, ca, database: "app" },
      "CREATE TABLE customers(id int PRIMARY KEY, name text); INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 5000) g",
    );
  }, 120_000);

  afterAll(async () => {
    await rds?.stop();
    await state?.cleanup();
  }, 120_000);

  it("takes a manual snapshot: creating (0074), then available (0075), under the cluster's key", async () => {
    gates.close("snapshot");
    const creating = await prod().createClusterSnapshot({
      clusterIdentifier: "prod",
      snapshotIdentifier: "s1",
    });
    expect(creating).toMatchObject({
      status: "creating",
      type: "manual",
      arn: snapshotArn("s1"),
      kmsKeyId: prodKey,
      encrypted: true,
    });
    await gates.reached("snapshot");
    await rejectsWith(
      prod().restoreClusterFromSnapshot({ clusterIdentifier: "early", snapshotIdentifier: "s1", engine }),
      "InvalidDBClusterSnapshotStateFault",
    );
    gates.open("snapshot");
    await rds.idle();
    expect(await prod().describeClusterSnapshot("s1")).toMatchObject({
      status: "available",
      percentProgress: 100,
      clusterIdentifier: "prod",
    });
    for (const id of ["RDS-EVENT-0074", "RDS-EVENT-0075"]) {
      expect(log.find(id, "s1")).toMatchObject({
        "detail-type": rdsDetailTypes.clusterSnapshot,
        resources: [snapshotArn("s1")],
        detail: { EventCategories: ["backup"], SourceType: "CLUSTER_SNAPSHOT" },
      });
    }
    await rejectsWith(
      prod().createClusterSnapshot({ clusterIdentifier: "prod", snapshotIdentifier: "s1" }),
      "DBClusterSnapshotAlreadyExistsFault",
    );
    await rejectsWith(
      prod().createClusterSnapshot({ clusterIdentifier: "prod", snapshotIdentifier: "rds:mine" }),
      "InvalidParameterValueException",
    );
    await rejectsWith(
      prod().createClusterSnapshot({ clusterIdentifier: "nope", snapshotIdentifier: "s2" }),
      "DBClusterNotFoundFault",
    );
  });

  it("takes automated snapshots rds:<cluster>-YYYY-MM-DD-HH-MM (0168/0169) that cannot be shared or deleted", async () => {
    now = new Date("2026-03-05T05:06:07Z");
    const automated = await rds.createAutomatedSnapshot({ ...production, clusterIdentifier: "prod" });
    expect(automated).toMatchObject({
      identifier: "rds:prod-2026-03-05-05-06",
      type: "automated",
      arn: snapshotArn("rds:prod-2026-03-05-05-06"),
    });
    await rds.idle();
    expect(log.find("RDS-EVENT-0168", automated.identifier)).toBeDefined();
    expect(log.find("RDS-EVENT-0169", automated.identifier)?.detail.EventCategories).toEqual(["backup"]);
    const listed = await prod().listClusterSnapshots({ clusterIdentifier: "prod" });
    expect(listed.map((s) => s.identifier)).toEqual([automated.identifier, "s1"]);
    expect(
      (await prod().listClusterSnapshots({ clusterIdentifier: "prod", type: "automated" })).map(
        (s) => s.identifier,
      ),
    ).toEqual([automated.identifier]);
    const message = await rejectsWith(
      prod().shareClusterSnapshot({
        snapshotIdentifier: automated.identifier,
        accountIds: [staging.accountId],
      }),
      "InvalidParameterValueException",
    );
    expect(message).toContain("copy it to a manual snapshot");
    await rejectsWith(
      prod().deleteClusterSnapshot(automated.identifier),
      "InvalidDBClusterSnapshotStateFault",
    );
  });

  it("refuses to share a snapshot under the default aws/rds key, naming the fix", async () => {
    await prod().copyClusterSnapshot({
      source: "s1",
      targetIdentifier: "s1-default-key",
      kmsKeyId: "alias/aws/rds",
    });
    await rds.idle();
    const copy = await prod().describeClusterSnapshot("s1-default-key");
    expect(copy.kmsKeyId).toBe((await kms.defaultRdsKey(production)).arn);
    const message = await rejectsWith(
      prod().shareClusterSnapshot({ snapshotIdentifier: "s1-default-key", accountIds: [staging.accountId] }),
      "InvalidParameterValueException",
    );
    expect(message).toMatch(/default key aws\/rds.*customer managed key/);
  });

  it("shares a manual snapshot: visible to the other account by ARN only, in its region", async () => {
    await rejectsWith(
      prod().shareClusterSnapshot({ snapshotIdentifier: "s1", accountIds: ["all"] }),
      "InvalidParameterValueException",
    );
    await rejectsWith(
      prod().shareClusterSnapshot({ snapshotIdentifier: "s1", accountIds: ["12"] }),
      "InvalidParameterValueException",
    );
    await prod().shareClusterSnapshot({
      snapshotIdentifier: "s1",
      accountIds: [staging.accountId, outsider.accountId],
    });
    expect((await prod().describeClusterSnapshot("s1")).sharedWith).toEqual([
      staging.accountId,
      outsider.accountId,
    ]);
    const seen = await rds.port(stagingInProductionRegion).describeClusterSnapshot(snapshotArn("s1"));
    expect(seen).toMatchObject({ type: "shared", accountId: production.accountId, status: "available" });
    await rejectsWith(
      rds.port(stagingInProductionRegion).describeClusterSnapshot("s1"),
      "DBClusterSnapshotNotFoundFault",
    );
    await rejectsWith(stage().describeClusterSnapshot(snapshotArn("s1")), "DBClusterSnapshotNotFoundFault");
    await rejectsWith(
      rds.port({ ...outsider, accountId: "444444444444" }).describeClusterSnapshot(snapshotArn("s1")),
      "DBClusterSnapshotNotFoundFault",
    );
  });

  it("refuses copies AWS refuses", async () => {
    const source = snapshotArn("s1");
    let message = await rejectsWith(
      stage().copyClusterSnapshot({ source, targetIdentifier: "c1", sourceRegion: "us-east-1" }),
      "InvalidParameterValueException",
    );
    expect(message).toContain("KmsKeyId is required");
    message = await rejectsWith(
      stage().copyClusterSnapshot({
        source,
        targetIdentifier: "c1",
        sourceRegion: "us-east-1",
        kmsKeyId: stagingKeyWrongRegion,
      }),
      "KMSKeyNotAccessibleFault",
    );
    expect(message).toContain("KMS keys are regional");
    await rejectsWith(
      stage().copyClusterSnapshot({
        source: "s1",
        targetIdentifier: "c1",
        sourceRegion: "us-east-1",
        kmsKeyId: stagingKey,
      }),
      "InvalidParameterValueException",
    );
    await rejectsWith(
      rds
        .port({ ...production, region: "eu-west-1" })
        .copyClusterSnapshot({ source, targetIdentifier: "c1" }),
      "InvalidParameterValueException",
    );
    // Shared with 333, but the source key's policy does not let 333 use it.
    message = await rejectsWith(
      rds.port(outsider).copyClusterSnapshot({ source, targetIdentifier: "c1", kmsKeyId: outsiderKey }),
      "KMSKeyNotAccessibleFault",
    );
    expect(message).toContain("not allowed to use KMS key");
    await rejectsWith(
      rds
        .port({ accountId: "444444444444", region: "us-east-1" })
        .copyClusterSnapshot({ source, targetIdentifier: "c1", kmsKeyId: outsiderKey }),
      "DBClusterSnapshotNotFoundFault",
    );
    await rejectsWith(
      prod().copyClusterSnapshot({ source: "s1", targetIdentifier: "s1-default-key" }),
      "DBClusterSnapshotAlreadyExistsFault",
    );
  });

  it("copies across accounts and regions under the destination key (copying → available, no event), then restores it", async () => {
    const eventsBefore = log.events.length;
    gates.close("copy");
    const copying = await stage().copyClusterSnapshot({
      source: snapshotArn("s1"),
      targetIdentifier: "prod-s1",
      sourceRegion: "us-east-1",
      kmsKeyId: "alias/staging-restore",
    });
    expect(copying).toMatchObject({
      status: "copying",
      type: "manual",
      kmsKeyId: stagingKey,
      accountId: staging.accountId,
      region: staging.region,
    });
    await gates.reached("copy");
    await rejectsWith(
      stage().restoreClusterFromSnapshot({
        clusterIdentifier: "staging-next",
        snapshotIdentifier: "prod-s1",
        engine,
      }),
      "InvalidDBClusterSnapshotStateFault",
    );
    await rejectsWith(
      stage().copyClusterSnapshot({ source: "prod-s1", targetIdentifier: "again" }),
      "InvalidDBClusterSnapshotStateFault",
    );
    gates.open("copy");
    await rds.idle();
    expect((await stage().describeClusterSnapshot("prod-s1")).status).toBe("available");
    expect(log.events.length).toBe(eventsBefore);

    await rejectsWith(
      stage().restoreClusterFromSnapshot({
        clusterIdentifier: "staging-next",
        snapshotIdentifier: "prod-s1",
        engine: "postgres",
      }),
      "InvalidParameterValueException",
    );
    const restoring = await stage().restoreClusterFromSnapshot({
      clusterIdentifier: "staging-next",
      snapshotIdentifier: "prod-s1",
      engine,
      kmsKeyId: stagingKey,
    });
    expect(restoring).toMatchObject({
      status: "creating",
      members: [],
      masterUsername: "master",
      kmsKeyId: stagingKey,
    });
    await rds.idle();
    const restored = await stage().describeCluster("staging-next");
    expect(restored.status).toBe("available");
    expect(log.find("RDS-EVENT-0170", "staging-next")).toMatchObject({
      account: staging.accountId,
      region: staging.region,
    });
    const rows = await query<{ n: string }>(
      restored,
      { password, ca, database: "app" },
      "SELECT count(*) AS n FROM customers",
    );
    expect(rows[0]?.n).toBe("5000");
    await rejectsWith(
      stage().restoreClusterFromSnapshot({
        clusterIdentifier: "staging-next",
        snapshotIdentifier: "prod-s1",
        engine,
      }),
      "DBClusterAlreadyExistsFault",
    );
    await rejectsWith(
      stage().restoreClusterFromSnapshot({ clusterIdentifier: "other", snapshotIdentifier: "nope", engine }),
      "DBClusterSnapshotNotFoundFault",
    );
  });

  it("refuses to restore a modified snapshot file (AES-GCM authentication) and leaves no cluster behind", async () => {
    await prod().copyClusterSnapshot({ source: "s1", targetIdentifier: "s1-tampered" });
    await rds.idle();
    const file = await dataFile(production.accountId, "s1-tampered");
    const bytes = await readFile(file);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0x01;
    await writeFile(file, bytes);
    const message = await rejectsWith(
      prod().restoreClusterFromSnapshot({
        clusterIdentifier: "tampered",
        snapshotIdentifier: "s1-tampered",
        engine,
      }),
      "InvalidDBClusterSnapshotStateFault",
    );
    expect(message).toContain("failed AES-GCM authentication");
    await rejectsWith(prod().describeCluster("tampered"), "DBClusterNotFoundFault");
    // A copy of it fails too, rather than producing a valid-looking snapshot.
    await prod().copyClusterSnapshot({ source: "s1-tampered", targetIdentifier: "s1-tampered-copy" });
    await rds.idle();
    expect((await prod().describeClusterSnapshot("s1-tampered-copy")).status).toBe("failed");
    expect(warnings.join("\n")).toMatch(
      /copy snapshot s1-tampered-copy failed: .*failed AES-GCM authentication/,
    );
  });

  it("deletes manual snapshots and their files", async () => {
    const file = await dataFile(production.accountId, "s1-default-key");
    await prod().deleteClusterSnapshot("s1-default-key");
    expect((await prod().describeClusterSnapshot("s1-default-key")).status).toBe("deleting");
    await rds.idle();
    await rejectsWith(prod().describeClusterSnapshot("s1-default-key"), "DBClusterSnapshotNotFoundFault");
    await expect(readFile(file)).rejects.toThrow(/ENOENT/);
    await rejectsWith(prod().deleteClusterSnapshot("nope"), "DBClusterSnapshotNotFoundFault");
  });
});
