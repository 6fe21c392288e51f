import "aws-sdk-client-mock-vitest/extend";
import { isAwsCallError } from "@aurora-restore/core/ports/index";
import {
  CopyDBClusterSnapshotCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
} from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createAwsRds } from "../src/aws-rds";
import { prod, sdkCluster, sdkInstance, sdkSnapshot, stagingKey } from "./fixtures";

const rdsMock = mockClient(RDSClient);
const stagingNoRole = { accountId: "222222222222", region: "eu-west-1" };

beforeEach(() => {
  rdsMock.reset();
});

/** The exact input of the nth call of a command (the matchers compare partially; absent members matter here). */
function inputOf(command: Parameters<typeof rdsMock.commandCalls>[0], n = 0): unknown {
  return rdsMock.commandCalls(command)[n]?.args[0].input;
}

describe("describe calls", () => {
  it("describes a cluster and maps it to the port's shape", async () => {
    rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [sdkCluster({ Status: "available" })] });
    const cluster = await createAwsRds(stagingNoRole).describeCluster("orders-staging");
    expect(rdsMock).toHaveReceivedCommandExactlyOnceWith(DescribeDBClustersCommand, {
      DBClusterIdentifier: "orders-staging",
    });
    expect(cluster).toEqual({
      accountId: "222222222222",
      region: "eu-west-1",
      identifier: "orders-staging",
      arn: "arn:aws:rds:eu-west-1:222222222222:cluster:orders-staging",
      status: "available",
      engine: "aurora-postgresql",
      engineVersion: "17.4",
      endpoint: "orders-staging.cluster-abc.eu-west-1.rds.amazonaws.com",
      port: 5432,
      masterUsername: "postgres",
      kmsKeyId: stagingKey,
      members: [{ instanceIdentifier: "orders-staging-1" }],
      createdAt: "2026-01-02T00:00:00.000Z",
    });
  });

  it("reports an empty cluster list as DBClusterNotFoundFault", async () => {
    rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
    await expect(createAwsRds(prod).describeCluster("gone")).rejects.toMatchObject({
      code: "DBClusterNotFoundFault",
    });
  });

  it("describes an instance", async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [sdkInstance({ DBInstanceStatus: "available" })] });
    const instance = await createAwsRds(stagingNoRole).describeInstance("orders-staging-1");
    expect(rdsMock).toHaveReceivedCommandExactlyOnceWith(DescribeDBInstancesCommand, {
      DBInstanceIdentifier: "orders-staging-1",
    });
    expect(instance).toEqual({
      accountId: "222222222222",
      region: "eu-west-1",
      identifier: "orders-staging-1",
      arn: "arn:aws:rds:eu-west-1:222222222222:db:orders-staging-1",
      clusterIdentifier: "orders-staging",
      instanceClass: "db.r6g.large",
      status: "available",
    });
  });

  it("describes an own snapshot by identifier without asking for shared ones", async () => {
    rdsMock.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [sdkSnapshot()] });
    const snapshot = await createAwsRds(prod).describeClusterSnapshot("orders-2026-01-01");
    expect(inputOf(DescribeDBClusterSnapshotsCommand)).toEqual({
      DBClusterSnapshotIdentifier: "orders-2026-01-01",
    });
    expect(snapshot).toEqual({
      accountId: "111111111111",
      region: "us-east-1",
      identifier: "orders-2026-01-01",
      arn: "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:orders-2026-01-01",
      clusterIdentifier: "orders",
      status: "available",
      type: "manual",
      encrypted: true,
      kmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/aaaa",
      engine: "aurora-postgresql",
      engineVersion: "17.4",
      createdAt: "2026-01-01T03:00:00.000Z",
      percentProgress: 100,
    });
  });

  it("describes another account's shared snapshot by ARN with IncludeShared, located by its ARN", async () => {
    const arn = "arn:aws:rds:eu-west-1:111111111111:cluster-snapshot:orders-share";
    rdsMock.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        sdkSnapshot({ DBClusterSnapshotIdentifier: arn, DBClusterSnapshotArn: arn, SnapshotType: "shared" }),
      ],
    });
    const snapshot = await createAwsRds(stagingNoRole).describeClusterSnapshot(arn);
    expect(inputOf(DescribeDBClusterSnapshotsCommand)).toEqual({
      DBClusterSnapshotIdentifier: arn,
      IncludeShared: true,
    });
    expect(snapshot).toMatchObject({ accountId: "111111111111", region: "eu-west-1", type: "shared", arn });
  });

  it("asks for the automated type when describing an automated snapshot", async () => {
    rdsMock.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        sdkSnapshot({
          DBClusterSnapshotIdentifier: "rds:orders-2026-01-01-03-00",
          SnapshotType: "automated",
        }),
      ],
    });
    const snapshot = await createAwsRds(prod).describeClusterSnapshot("rds:orders-2026-01-01-03-00");
    expect(inputOf(DescribeDBClusterSnapshotsCommand)).toEqual({
      DBClusterSnapshotIdentifier: "rds:orders-2026-01-01-03-00",
      SnapshotType: "automated",
    });
    expect(snapshot.type).toBe("automated");
  });

  it("reports an empty snapshot list as DBClusterSnapshotNotFoundFault", async () => {
    rdsMock.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [] });
    const error = await createAwsRds(prod)
      .describeClusterSnapshot("missing")
      .catch((e: unknown) => e);
    expect(isAwsCallError(error, "DBClusterSnapshotNotFoundFault")).toBe(true);
  });

  it("lists a cluster's snapshots of one type across pages, newest first", async () => {
    rdsMock
      .on(DescribeDBClusterSnapshotsCommand, { Marker: undefined })
      .resolves({
        DBClusterSnapshots: [
          sdkSnapshot({
            DBClusterSnapshotIdentifier: "a",
            SnapshotCreateTime: new Date("2026-01-01T00:00:00Z"),
          }),
          sdkSnapshot({
            DBClusterSnapshotIdentifier: "b",
            SnapshotCreateTime: new Date("2026-01-03T00:00:00Z"),
          }),
        ],
        Marker: "page-2",
      })
      .on(DescribeDBClusterSnapshotsCommand, { Marker: "page-2" })
      .resolves({
        DBClusterSnapshots: [
          sdkSnapshot({
            DBClusterSnapshotIdentifier: "c",
            SnapshotCreateTime: new Date("2026-01-02T00:00:00Z"),
          }),
          sdkSnapshot({
            DBClusterSnapshotIdentifier: "d",
            Status: "creating",
            SnapshotCreateTime: undefined,
          }),
        ],
      });
    const snapshots = await createAwsRds(prod).listClusterSnapshots({
      clusterIdentifier: "orders",
      type: "manual",
    });
    expect(snapshots.map((s) => s.identifier)).toEqual(["d", "b", "c", "a"]);
    expect(inputOf(DescribeDBClusterSnapshotsCommand, 0)).toEqual({
      DBClusterIdentifier: "orders",
      SnapshotType: "manual",
    });
    expect(inputOf(DescribeDBClusterSnapshotsCommand, 1)).toEqual({
      DBClusterIdentifier: "orders",
      SnapshotType: "manual",
      Marker: "page-2",
    });
  });

  it("includes shared snapshots only when asked for the shared type", async () => {
    rdsMock.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [] });
    await createAwsRds(prod).listClusterSnapshots({ clusterIdentifier: "orders", type: "shared" });
    await createAwsRds(prod).listClusterSnapshots({ clusterIdentifier: "orders" });
    expect(inputOf(DescribeDBClusterSnapshotsCommand, 0)).toEqual({
      DBClusterIdentifier: "orders",
      SnapshotType: "shared",
      IncludeShared: true,
    });
    expect(inputOf(DescribeDBClusterSnapshotsCommand, 1)).toEqual({ DBClusterIdentifier: "orders" });
  });
});

describe("snapshot calls", () => {
  it("creates a manual snapshot with tags", async () => {
    rdsMock
      .on(CreateDBClusterSnapshotCommand)
      .resolves({ DBClusterSnapshot: sdkSnapshot({ Status: "creating" }) });
    const snapshot = await createAwsRds(prod).createClusterSnapshot({
      clusterIdentifier: "orders",
      snapshotIdentifier: "orders-2026-01-01",
      tags: { "aurora-restore:operation": "op-1" },
    });
    expect(inputOf(CreateDBClusterSnapshotCommand)).toEqual({
      DBClusterSnapshotIdentifier: "orders-2026-01-01",
      DBClusterIdentifier: "orders",
      Tags: [{ Key: "aurora-restore:operation", Value: "op-1" }],
    });
    expect(snapshot.status).toBe("creating");
  });

  it("copies a cross-region source by ARN with the destination key, without tags by default", async () => {
    const source = "arn:aws:rds:us-east-1:222222222222:cluster-snapshot:orders-share";
    rdsMock.on(CopyDBClusterSnapshotCommand).resolves({
      DBClusterSnapshot: sdkSnapshot({
        DBClusterSnapshotIdentifier: "orders-copy",
        DBClusterSnapshotArn: "arn:aws:rds:eu-west-1:222222222222:cluster-snapshot:orders-copy",
        Status: "copying",
        PercentProgress: 0,
        KmsKeyId: stagingKey,
      }),
    });
    const copy = await createAwsRds(stagingNoRole).copyClusterSnapshot({
      source,
      targetIdentifier: "orders-copy",
      kmsKeyId: stagingKey,
      sourceRegion: "us-east-1",
    });
    expect(rdsMock).toHaveReceivedCommandExactlyOnceWith(CopyDBClusterSnapshotCommand, {
      SourceDBClusterSnapshotIdentifier: source,
      TargetDBClusterSnapshotIdentifier: "orders-copy",
      KmsKeyId: stagingKey,
      CopyTags: false,
    });
    expect(copy).toMatchObject({
      region: "eu-west-1",
      status: "copying",
      percentProgress: 0,
      kmsKeyId: stagingKey,
    });
  });

  it("copies tags only when asked", async () => {
    rdsMock.on(CopyDBClusterSnapshotCommand).resolves({ DBClusterSnapshot: sdkSnapshot() });
    await createAwsRds(prod).copyClusterSnapshot({
      source: "a",
      targetIdentifier: "b",
      copyTags: true,
      tags: { k: "v" },
    });
    expect(inputOf(CopyDBClusterSnapshotCommand)).toEqual({
      SourceDBClusterSnapshotIdentifier: "a",
      TargetDBClusterSnapshotIdentifier: "b",
      CopyTags: true,
      Tags: [{ Key: "k", Value: "v" }],
    });
  });

  it("refuses a cross-region source given by identifier, before calling AWS", async () => {
    const copy = createAwsRds(stagingNoRole).copyClusterSnapshot({
      source: "orders-share",
      targetIdentifier: "orders-copy",
      sourceRegion: "us-east-1",
    });
    await expect(copy).rejects.toMatchObject({ code: "InvalidParameterCombinationException" });
    await expect(copy).rejects.toThrow(/must be given by its ARN/);
    expect(rdsMock).not.toHaveReceivedCommand(CopyDBClusterSnapshotCommand);
  });

  it("refuses a sourceRegion that contradicts the source ARN", async () => {
    const copy = createAwsRds(stagingNoRole).copyClusterSnapshot({
      source: "arn:aws:rds:us-west-2:111111111111:cluster-snapshot:x",
      targetIdentifier: "y",
      sourceRegion: "us-east-1",
    });
    await expect(copy).rejects.toMatchObject({ code: "InvalidParameterCombinationException" });
    expect(rdsMock).not.toHaveReceivedCommand(CopyDBClusterSnapshotCommand);
  });

  it("shares through the restore attribute", async () => {
    rdsMock.on(ModifyDBClusterSnapshotAttributeCommand).resolves({});
    await createAwsRds(prod).shareClusterSnapshot({
      snapshotIdentifier: "orders-share",
      accountIds: ["222222222222"],
    });
    expect(inputOf(ModifyDBClusterSnapshotAttributeCommand)).toEqual({
      DBClusterSnapshotIdentifier: "orders-share",
      AttributeName: "restore",
      ValuesToAdd: ["222222222222"],
    });
  });

  it("deletes a snapshot", async () => {
    rdsMock.on(DeleteDBClusterSnapshotCommand).resolves({});
    await createAwsRds(prod).deleteClusterSnapshot("orders-share");
    expect(rdsMock).toHaveReceivedCommandExactlyOnceWith(DeleteDBClusterSnapshotCommand, {
      DBClusterSnapshotIdentifier: "orders-share",
    });
  });
});

describe("cluster and instance calls", () => {
  it("restores with the network, parameter group and key passed explicitly", async () => {
    rdsMock
      .on(RestoreDBClusterFromSnapshotCommand)
      .resolves({ DBCluster: sdkCluster({ DBClusterIdentifier: "orders-next" }) });
    const cluster = await createAwsRds(stagingNoRole).restoreClusterFromSnapshot({
      clusterIdentifier: "orders-next",
      snapshotIdentifier: "arn:aws:rds:eu-west-1:111111111111:cluster-snapshot:orders-share",
      engine: "aurora-postgresql",
      engineVersion: "17.4",
      kmsKeyId: stagingKey,
      dbSubnetGroupName: "staging-db",
      vpcSecurityGroupIds: ["sg-0123"],
      dbClusterParameterGroupName: "orders-pg17",
      tags: { env: "staging" },
    });
    expect(inputOf(RestoreDBClusterFromSnapshotCommand)).toEqual({
      DBClusterIdentifier: "orders-next",
      SnapshotIdentifier: "arn:aws:rds:eu-west-1:111111111111:cluster-snapshot:orders-share",
      Engine: "aurora-postgresql",
      EngineVersion: "17.4",
      KmsKeyId: stagingKey,
      DBSubnetGroupName: "staging-db",
      VpcSecurityGroupIds: ["sg-0123"],
      DBClusterParameterGroupName: "orders-pg17",
      Tags: [{ Key: "env", Value: "staging" }],
    });
    expect(cluster).toMatchObject({
      identifier: "orders-next",
      status: "creating",
      accountId: "222222222222",
    });
  });

  it("clones copy-on-write from the latest restorable time", async () => {
    rdsMock
      .on(RestoreDBClusterToPointInTimeCommand)
      .resolves({ DBCluster: sdkCluster({ DBClusterIdentifier: "orders-clone" }) });
    await createAwsRds(stagingNoRole).cloneCluster({
      clusterIdentifier: "orders-clone",
      sourceClusterIdentifier: "orders",
      dbSubnetGroupName: "staging-db",
      vpcSecurityGroupIds: ["sg-0123"],
    });
    expect(inputOf(RestoreDBClusterToPointInTimeCommand)).toEqual({
      DBClusterIdentifier: "orders-clone",
      SourceDBClusterIdentifier: "orders",
      RestoreType: "copy-on-write",
      UseLatestRestorableTime: true,
      DBSubnetGroupName: "staging-db",
      VpcSecurityGroupIds: ["sg-0123"],
    });
  });

  it("creates an instance in the cluster", async () => {
    rdsMock.on(CreateDBInstanceCommand).resolves({ DBInstance: sdkInstance() });
    const instance = await createAwsRds(stagingNoRole).createInstance({
      instanceIdentifier: "orders-staging-1",
      clusterIdentifier: "orders-staging",
      instanceClass: "db.r6g.large",
      engine: "aurora-postgresql",
    });
    expect(inputOf(CreateDBInstanceCommand)).toEqual({
      DBInstanceIdentifier: "orders-staging-1",
      DBClusterIdentifier: "orders-staging",
      DBInstanceClass: "db.r6g.large",
      Engine: "aurora-postgresql",
      // Never left to RDS's default (public in a VPC with an internet gateway).
      PubliclyAccessible: false,
    });
    expect(instance.status).toBe("creating");
  });

  it("creates an instance with the target's settings (issue 10, item 7)", async () => {
    rdsMock.on(CreateDBInstanceCommand).resolves({ DBInstance: sdkInstance() });
    await createAwsRds(stagingNoRole).createInstance({
      instanceIdentifier: "orders-staging-next-1",
      clusterIdentifier: "orders-staging-next",
      instanceClass: "db.r6g.large",
      engine: "aurora-postgresql",
      tags: { team: "orders" },
      settings: {
        dbParameterGroupName: "orders-instance-params",
        performanceInsights: { enabled: true, kmsKeyId: stagingKey, retentionPeriod: 7 },
        monitoringInterval: 60,
        monitoringRoleArn: "arn:aws:iam::222222222222:role/rds-monitoring",
        publiclyAccessible: true,
      },
    });
    expect(inputOf(CreateDBInstanceCommand)).toEqual({
      DBInstanceIdentifier: "orders-staging-next-1",
      DBClusterIdentifier: "orders-staging-next",
      DBInstanceClass: "db.r6g.large",
      Engine: "aurora-postgresql",
      Tags: [{ Key: "team", Value: "orders" }],
      DBParameterGroupName: "orders-instance-params",
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: stagingKey,
      PerformanceInsightsRetentionPeriod: 7,
      MonitoringInterval: 60,
      MonitoringRoleArn: "arn:aws:iam::222222222222:role/rds-monitoring",
      PubliclyAccessible: true,
    });
  });

  it("restores and clones with the cluster's settings, and turns deletion protection off (item 7)", async () => {
    rdsMock.on(RestoreDBClusterFromSnapshotCommand).resolves({ DBCluster: sdkCluster() });
    rdsMock.on(RestoreDBClusterToPointInTimeCommand).resolves({ DBCluster: sdkCluster() });
    rdsMock.on(ModifyDBClusterCommand).resolves({ DBCluster: sdkCluster({ Status: "available" }) });
    const rds = createAwsRds(stagingNoRole);
    const settings = {
      deletionProtection: true,
      backupRetentionPeriod: 14,
      iamDatabaseAuthentication: true,
      cloudwatchLogsExports: ["postgresql"],
    };
    const expected = {
      DeletionProtection: true,
      BackupRetentionPeriod: 14,
      EnableIAMDatabaseAuthentication: true,
      EnableCloudwatchLogsExports: ["postgresql"],
    };
    await rds.restoreClusterFromSnapshot({
      clusterIdentifier: "orders-staging-next",
      snapshotIdentifier: "aurora-restore-abc-copy",
      engine: "aurora-postgresql",
      settings,
    });
    expect(inputOf(RestoreDBClusterFromSnapshotCommand)).toMatchObject(expected);
    await rds.cloneCluster({
      clusterIdentifier: "orders-staging-next",
      sourceClusterIdentifier: "orders",
      settings,
    });
    expect(inputOf(RestoreDBClusterToPointInTimeCommand)).toMatchObject(expected);
    await rds.modifyCluster({
      clusterIdentifier: "orders-staging-old-0123456789",
      deletionProtection: false,
    });
    expect(inputOf(ModifyDBClusterCommand)).toEqual({
      DBClusterIdentifier: "orders-staging-old-0123456789",
      ApplyImmediately: true,
      DeletionProtection: false,
    });
  });

  it("describes a cluster's and an instance's settings", async () => {
    rdsMock.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        sdkCluster({
          DeletionProtection: true,
          DBClusterParameterGroup: "orders-cluster-params",
          BackupRetentionPeriod: 14,
          IAMDatabaseAuthenticationEnabled: false,
          EnabledCloudwatchLogsExports: ["postgresql"],
          TagList: [{ Key: "team", Value: "orders" }],
        }),
      ],
    });
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        sdkInstance({
          DBParameterGroups: [
            { DBParameterGroupName: "orders-instance-params", ParameterApplyStatus: "in-sync" },
          ],
          PerformanceInsightsEnabled: true,
          PerformanceInsightsKMSKeyId: stagingKey,
          PerformanceInsightsRetentionPeriod: 7,
          MonitoringInterval: 60,
          MonitoringRoleArn: "arn:aws:iam::222222222222:role/rds-monitoring",
          PubliclyAccessible: true,
          TagList: [{ Key: "team", Value: "orders" }],
        }),
      ],
    });
    const rds = createAwsRds(stagingNoRole);
    expect((await rds.describeCluster("orders-staging")).settings).toEqual({
      deletionProtection: true,
      dbClusterParameterGroupName: "orders-cluster-params",
      backupRetentionPeriod: 14,
      iamDatabaseAuthentication: false,
      cloudwatchLogsExports: ["postgresql"],
      tags: { team: "orders" },
    });
    expect((await rds.describeInstance("orders-staging-1")).settings).toEqual({
      dbParameterGroupName: "orders-instance-params",
      performanceInsights: { enabled: true, kmsKeyId: stagingKey, retentionPeriod: 7 },
      monitoringInterval: 60,
      monitoringRoleArn: "arn:aws:iam::222222222222:role/rds-monitoring",
      publiclyAccessible: true,
      tags: { team: "orders" },
    });
  });

  it("sets the master password immediately", async () => {
    rdsMock
      .on(ModifyDBClusterCommand)
      .resolves({ DBCluster: sdkCluster({ Status: "resetting-master-credentials" }) });
    const cluster = await createAwsRds(stagingNoRole).modifyCluster({
      clusterIdentifier: "orders-staging",
      masterUserPassword: "n3w-Passw0rd",
    });
    expect(inputOf(ModifyDBClusterCommand)).toEqual({
      DBClusterIdentifier: "orders-staging",
      ApplyImmediately: true,
      MasterUserPassword: "n3w-Passw0rd",
    });
    expect(cluster.status).toBe("resetting-master-credentials");
  });

  it("renames a cluster immediately without touching the password", async () => {
    rdsMock.on(ModifyDBClusterCommand).resolves({ DBCluster: sdkCluster({ Status: "renaming" }) });
    await createAwsRds(stagingNoRole).modifyCluster({
      clusterIdentifier: "orders-next",
      newClusterIdentifier: "orders-staging",
    });
    expect(inputOf(ModifyDBClusterCommand)).toEqual({
      DBClusterIdentifier: "orders-next",
      ApplyImmediately: true,
      NewDBClusterIdentifier: "orders-staging",
    });
  });

  it("renames an instance immediately", async () => {
    rdsMock
      .on(ModifyDBInstanceCommand)
      .resolves({ DBInstance: sdkInstance({ DBInstanceStatus: "renaming" }) });
    await createAwsRds(stagingNoRole).renameInstance({
      instanceIdentifier: "orders-next-1",
      newInstanceIdentifier: "orders-staging-1",
    });
    expect(inputOf(ModifyDBInstanceCommand)).toEqual({
      DBInstanceIdentifier: "orders-next-1",
      NewDBInstanceIdentifier: "orders-staging-1",
      ApplyImmediately: true,
    });
  });

  it("deletes an instance", async () => {
    rdsMock.on(DeleteDBInstanceCommand).resolves({});
    await createAwsRds(stagingNoRole).deleteInstance("orders-old-1");
    expect(inputOf(DeleteDBInstanceCommand)).toEqual({ DBInstanceIdentifier: "orders-old-1" });
  });

  it("deletes a cluster skipping the final snapshot unless one is named", async () => {
    rdsMock.on(DeleteDBClusterCommand).resolves({});
    const rds = createAwsRds(stagingNoRole);
    await rds.deleteCluster({ clusterIdentifier: "orders-old" });
    await rds.deleteCluster({
      clusterIdentifier: "orders-older",
      finalSnapshotIdentifier: "orders-older-final",
    });
    expect(inputOf(DeleteDBClusterCommand, 0)).toEqual({
      DBClusterIdentifier: "orders-old",
      SkipFinalSnapshot: true,
    });
    expect(inputOf(DeleteDBClusterCommand, 1)).toEqual({
      DBClusterIdentifier: "orders-older",
      SkipFinalSnapshot: false,
      FinalDBSnapshotIdentifier: "orders-older-final",
    });
  });

  it("rejects an incomplete response instead of inventing fields", async () => {
    rdsMock.on(CreateDBInstanceCommand).resolves({ DBInstance: sdkInstance({ DBInstanceArn: undefined }) });
    await expect(
      createAwsRds(prod).createInstance({
        instanceIdentifier: "i",
        clusterIdentifier: "c",
        instanceClass: "db.r6g.large",
        engine: "aurora-postgresql",
      }),
    ).rejects.toThrow(/returned no DBInstanceArn/);
  });
});
