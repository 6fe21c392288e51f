import type {
  AccessScope,
  AccountRegion,
  ClusterSnapshot,
  RdsPort,
  RestoreClusterInput,
} from "@aurora-restore/core/ports/index";
import {
  CopyDBClusterSnapshotCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  type DescribeDBClusterSnapshotsMessage,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
} from "@aws-sdk/client-rds";
import { type AwsAdapterOptions, type AwsClients, type ClientPool, poolFrom } from "./clients";
import { type CallContext, callAws } from "./errors";
import { checkCopySource, notFound, snapshotLookup } from "./rds-checks";
import { newestFirst, toClusterSnapshot, toDbCluster, toDbInstance } from "./rds-mapping";
import { omitUndefined, toTags } from "./sdk-shapes";

/** A restore's or clone's cluster settings as RestoreDBClusterFromSnapshot / ToPointInTime take them. */
function clusterSettingsInput(settings: RestoreClusterInput["settings"]) {
  return omitUndefined({
    DeletionProtection: settings?.deletionProtection,
    BackupRetentionPeriod: settings?.backupRetentionPeriod,
    EnableIAMDatabaseAuthentication: settings?.iamDatabaseAuthentication,
    EnableCloudwatchLogsExports: settings?.cloudwatchLogsExports,
  });
}

/** RDS clients from a pool: one per account, region and role. */
export function rdsClients(pool: ClientPool): AwsClients["rds"] {
  return (scope) => pool.client("rds", scope, (config) => new RDSClient(config));
}

/** The RDS port over the AWS SDK, bound to one account and region (and the role to assume there). */
export function createAwsRds(scope: AccessScope, options: AwsAdapterOptions<"rds"> = {}): RdsPort {
  const clients = options.clients ?? { rds: rdsClients(poolFrom(options)) };
  const location: AccountRegion = { accountId: scope.accountId, region: scope.region };
  const ctx = (operation: string, resource?: string, secrets?: (string | undefined)[]): CallContext => ({
    service: "rds",
    operation,
    location,
    ...(resource ? { resource } : {}),
    ...(secrets ? { secrets } : {}),
  });
  const rds = () => clients.rds(scope);

  const describeSnapshots = async (input: DescribeDBClusterSnapshotsMessage, context: CallContext) => {
    const client = rds();
    const snapshots: ClusterSnapshot[] = [];
    let marker: string | undefined;
    do {
      const page = await callAws(context, () =>
        client.send(
          new DescribeDBClusterSnapshotsCommand({ ...input, ...(marker ? { Marker: marker } : {}) }),
        ),
      );
      for (const snapshot of page.DBClusterSnapshots ?? []) {
        snapshots.push(toClusterSnapshot(snapshot, context.operation, location));
      }
      marker = page.Marker;
    } while (marker);
    return snapshots;
  };

  return {
    location,

    async describeCluster(clusterIdentifier) {
      const context = ctx("DescribeDBClusters", clusterIdentifier);
      const client = rds();
      const out = await callAws(context, () =>
        client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterIdentifier })),
      );
      return toDbCluster(
        out.DBClusters?.[0] ?? notFound("DBClusterNotFoundFault", context),
        context.operation,
        location,
      );
    },

    async describeInstance(instanceIdentifier) {
      const context = ctx("DescribeDBInstances", instanceIdentifier);
      const client = rds();
      const out = await callAws(context, () =>
        client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceIdentifier })),
      );
      return toDbInstance(
        out.DBInstances?.[0] ?? notFound("DBInstanceNotFoundFault", context),
        context.operation,
        location,
      );
    },

    async describeClusterSnapshot(identifierOrArn) {
      const context = ctx("DescribeDBClusterSnapshots", identifierOrArn);
      const input = snapshotLookup(identifierOrArn, scope.accountId);
      const [snapshot] = await describeSnapshots(input, context);
      return snapshot ?? notFound("DBClusterSnapshotNotFoundFault", context);
    },

    async listClusterSnapshots({ clusterIdentifier, type }) {
      const snapshots = await describeSnapshots(
        omitUndefined({
          DBClusterIdentifier: clusterIdentifier,
          SnapshotType: type,
          IncludeShared: type === "shared" ? true : undefined,
        }),
        ctx("DescribeDBClusterSnapshots", clusterIdentifier),
      );
      return snapshots.sort(newestFirst);
    },

    async createClusterSnapshot({ clusterIdentifier, snapshotIdentifier, tags }) {
      const context = ctx("CreateDBClusterSnapshot", snapshotIdentifier);
      const client = rds();
      const out = await callAws(context, () =>
        client.send(
          new CreateDBClusterSnapshotCommand(
            omitUndefined({
              DBClusterSnapshotIdentifier: snapshotIdentifier,
              DBClusterIdentifier: clusterIdentifier,
              Tags: toTags(tags),
            }),
          ),
        ),
      );
      return toClusterSnapshot(out.DBClusterSnapshot, context.operation, location);
    },

    async copyClusterSnapshot(input) {
      const context = ctx("CopyDBClusterSnapshot", input.targetIdentifier);
      checkCopySource(input, location, context);
      const client = rds();
      // Called in the destination region. For an ARN source in another region the SDK's RDS middleware signs
      // the PreSignedUrl for the source region itself; SourceRegion is not a member of this command's input.
      const out = await callAws(context, () =>
        client.send(
          new CopyDBClusterSnapshotCommand(
            omitUndefined({
              SourceDBClusterSnapshotIdentifier: input.source,
              TargetDBClusterSnapshotIdentifier: input.targetIdentifier,
              KmsKeyId: input.kmsKeyId,
              CopyTags: input.copyTags ?? false,
              Tags: toTags(input.tags),
            }),
          ),
        ),
      );
      return toClusterSnapshot(out.DBClusterSnapshot, context.operation, location);
    },

    async shareClusterSnapshot({ snapshotIdentifier, accountIds }) {
      const client = rds();
      await callAws(ctx("ModifyDBClusterSnapshotAttribute", snapshotIdentifier), () =>
        client.send(
          new ModifyDBClusterSnapshotAttributeCommand({
            DBClusterSnapshotIdentifier: snapshotIdentifier,
            AttributeName: "restore",
            ValuesToAdd: accountIds,
          }),
        ),
      );
    },

    async deleteClusterSnapshot(snapshotIdentifier) {
      const client = rds();
      await callAws(ctx("DeleteDBClusterSnapshot", snapshotIdentifier), () =>
        client.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: snapshotIdentifier })),
      );
    },

    async restoreClusterFromSnapshot(input) {
      const context = ctx("RestoreDBClusterFromSnapshot", input.clusterIdentifier);
      const client = rds();
      // Network, parameter group and key go explicitly: omitted, RDS silently uses the account's defaults.
      const out = await callAws(context, () =>
        client.send(
          new RestoreDBClusterFromSnapshotCommand(
            omitUndefined({
              DBClusterIdentifier: input.clusterIdentifier,
              SnapshotIdentifier: input.snapshotIdentifier,
              Engine: input.engine,
              EngineVersion: input.engineVersion,
              KmsKeyId: input.kmsKeyId,
              DBSubnetGroupName: input.dbSubnetGroupName,
              VpcSecurityGroupIds: input.vpcSecurityGroupIds,
              DBClusterParameterGroupName: input.dbClusterParameterGroupName,
              Tags: toTags(input.tags),
              ...clusterSettingsInput(input.settings),
            }),
          ),
        ),
      );
      return toDbCluster(out.DBCluster, context.operation, location);
    },

    async cloneCluster(input) {
      const context = ctx("RestoreDBClusterToPointInTime", input.clusterIdentifier);
      const client = rds();
      const out = await callAws(context, () =>
        client.send(
          new RestoreDBClusterToPointInTimeCommand(
            omitUndefined({
              DBClusterIdentifier: input.clusterIdentifier,
              SourceDBClusterIdentifier: input.sourceClusterIdentifier,
              RestoreType: "copy-on-write",
              UseLatestRestorableTime: true,
              KmsKeyId: input.kmsKeyId,
              DBSubnetGroupName: input.dbSubnetGroupName,
              VpcSecurityGroupIds: input.vpcSecurityGroupIds,
              DBClusterParameterGroupName: input.dbClusterParameterGroupName,
              Tags: toTags(input.tags),
              ...clusterSettingsInput(input.settings),
            }),
          ),
        ),
      );
      return toDbCluster(out.DBCluster, context.operation, location);
    },

    async createInstance(input) {
      const context = ctx("CreateDBInstance", input.instanceIdentifier);
      const client = rds();
      const out = await callAws(context, () =>
        client.send(
          new CreateDBInstanceCommand(
            omitUndefined({
              DBInstanceIdentifier: input.instanceIdentifier,
              DBClusterIdentifier: input.clusterIdentifier,
              DBInstanceClass: input.instanceClass,
              Engine: input.engine,
              Tags: toTags(input.tags),
              DBParameterGroupName: input.settings?.dbParameterGroupName,
              EnablePerformanceInsights: input.settings?.performanceInsights?.enabled,
              PerformanceInsightsKMSKeyId: input.settings?.performanceInsights?.kmsKeyId,
              PerformanceInsightsRetentionPeriod: input.settings?.performanceInsights?.retentionPeriod,
              MonitoringInterval: input.settings?.monitoringInterval,
              MonitoringRoleArn: input.settings?.monitoringRoleArn,
              // Always explicit: omitted, RDS makes the instance public in a VPC with an internet gateway.
              PubliclyAccessible: input.settings?.publiclyAccessible ?? false,
            }),
          ),
        ),
      );
      return toDbInstance(out.DBInstance, context.operation, location);
    },

    async modifyCluster(input) {
      const context = ctx("ModifyDBCluster", input.clusterIdentifier, [input.masterUserPassword]);
      const client = rds();
      const out = await callAws(context, () =>
        client.send(
          new ModifyDBClusterCommand(
            omitUndefined({
              DBClusterIdentifier: input.clusterIdentifier,
              ApplyImmediately: true,
              MasterUserPassword: input.masterUserPassword,
              NewDBClusterIdentifier: input.newClusterIdentifier,
              DeletionProtection: input.deletionProtection,
            }),
          ),
        ),
      );
      return toDbCluster(out.DBCluster, context.operation, location);
    },

    async renameInstance({ instanceIdentifier, newInstanceIdentifier }) {
      const context = ctx("ModifyDBInstance", instanceIdentifier);
      const client = rds();
      const out = await callAws(context, () =>
        client.send(
          new ModifyDBInstanceCommand({
            DBInstanceIdentifier: instanceIdentifier,
            NewDBInstanceIdentifier: newInstanceIdentifier,
            ApplyImmediately: true,
          }),
        ),
      );
      return toDbInstance(out.DBInstance, context.operation, location);
    },

    async deleteInstance(instanceIdentifier) {
      const client = rds();
      await callAws(ctx("DeleteDBInstance", instanceIdentifier), () =>
        client.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: instanceIdentifier })),
      );
    },

    async deleteCluster({ clusterIdentifier, finalSnapshotIdentifier }) {
      const client = rds();
      await callAws(ctx("DeleteDBCluster", clusterIdentifier), () =>
        client.send(
          new DeleteDBClusterCommand(
            finalSnapshotIdentifier
              ? {
                  DBClusterIdentifier: clusterIdentifier,
                  SkipFinalSnapshot: false,
                  FinalDBSnapshotIdentifier: finalSnapshotIdentifier,
                }
              : { DBClusterIdentifier: clusterIdentifier, SkipFinalSnapshot: true },
          ),
        ),
      );
    },
  };
}
