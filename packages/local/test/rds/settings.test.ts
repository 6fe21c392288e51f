import { setTimeout as sleep } from "node:timers/promises";
import type { DbCluster, RdsPort } from "@aurora-restore/core/ports/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalKms } from "../../src/kms/local-kms";
import { LocalRds } from "../../src/rds/local-rds";
import { EventLog, production, rejectsWith, tempStateDir } from "./helpers";

/**
 * Issue 10, item 7: the local RDS accepts and keeps the settings a refresh gives the restored cluster and
 * instances, reports them as DescribeDB* do, and refuses to delete a protected cluster as AWS does.
 */
describe("[slow] local RDS: cluster and instance settings, deletion protection", () => {
  let state: Awaited<ReturnType<typeof tempStateDir>>;
  let rds: LocalRds;
  let port: RdsPort;

  async function until(id: string, status: string): Promise<DbCluster> {
    for (let i = 0; i < 500; i++) {
      const cluster = await port.describeCluster(id);
      if (cluster.status === status) return cluster;
      await sleep(5);
    }
    throw new Error(`${id} did not become ${status}`);
  }

  beforeAll(async () => {
    state = await tempStateDir();
    const kms = new LocalKms({ stateDir: state.dir });
    const key = (await kms.createKey({ ...production })).arn;
    rds = new LocalRds({
      stateDir: state.dir,
      kms,
      emit: new EventLog().emit,
      clusters: "instant",
      durations: { create: 0, copy: 0, rename: 0, delete: 0, snapshot: 0, passwordChange: 0 },
    });
    await rds.start();
    port = rds.port(production);
    await rds.createCluster({
      ...production,
      clusterIdentifier: "prod",
      masterUsername: "master",
      masterPassword: "Prod-Passw0rd",
      kmsKeyId: key,
      databaseName: "app",
    });
    await until("prod", "available");
    await port.createClusterSnapshot({ clusterIdentifier: "prod", snapshotIdentifier: "nightly" });
    for (let i = 0; i < 500 && (await port.describeClusterSnapshot("nightly")).status !== "available"; i++)
      await sleep(5);
  });

  afterAll(async () => {
    await rds?.stop();
    await state?.cleanup();
  });

  it("keeps a restore's settings and an instance's, and reports them; instances are private by default", async () => {
    await port.restoreClusterFromSnapshot({
      clusterIdentifier: "staging-next",
      snapshotIdentifier: "nightly",
      engine: "aurora-postgresql",
      dbClusterParameterGroupName: "staging-params",
      tags: { team: "orders" },
      settings: {
        deletionProtection: true,
        backupRetentionPeriod: 14,
        iamDatabaseAuthentication: true,
        cloudwatchLogsExports: ["postgresql"],
      },
    });
    const cluster = await until("staging-next", "available");
    expect(cluster.settings).toEqual({
      deletionProtection: true,
      dbClusterParameterGroupName: "staging-params",
      backupRetentionPeriod: 14,
      iamDatabaseAuthentication: true,
      cloudwatchLogsExports: ["postgresql"],
      tags: { team: "orders" },
    });
    await port.createInstance({
      instanceIdentifier: "staging-next-1",
      clusterIdentifier: "staging-next",
      instanceClass: "db.r6g.large",
      engine: "aurora-postgresql",
      settings: {
        dbParameterGroupName: "staging-instance-params",
        performanceInsights: { enabled: true, retentionPeriod: 7 },
        monitoringInterval: 60,
        monitoringRoleArn: "arn:aws:iam::111111111111:role/rds-monitoring",
      },
    });
    expect((await port.describeInstance("staging-next-1")).settings).toEqual({
      dbParameterGroupName: "staging-instance-params",
      performanceInsights: { enabled: true, retentionPeriod: 7 },
      monitoringInterval: 60,
      monitoringRoleArn: "arn:aws:iam::111111111111:role/rds-monitoring",
      publiclyAccessible: false,
    });
  });

  it("refuses to delete a protected cluster with InvalidParameterCombination, until protection is turned off", async () => {
    for (let i = 0; i < 500 && (await port.describeInstance("staging-next-1")).status !== "available"; i++)
      await sleep(5);
    await port.deleteInstance("staging-next-1");
    const message = await rejectsWith(
      port.deleteCluster({ clusterIdentifier: "staging-next" }),
      "InvalidParameterCombinationException",
    );
    expect(message).toMatch(/deletion protection/);
    expect((await port.describeCluster("staging-next")).status).toBe("available");

    const modified = await port.modifyCluster({
      clusterIdentifier: "staging-next",
      deletionProtection: false,
    });
    expect(modified.settings?.deletionProtection).toBe(false);
    await port.deleteCluster({ clusterIdentifier: "staging-next" });
    for (let i = 0; i < 500; i++) {
      const gone = await port.describeCluster("staging-next").then(
        () => false,
        () => true,
      );
      if (gone) return;
      await sleep(5);
    }
    throw new Error("staging-next was not deleted");
  });
});
