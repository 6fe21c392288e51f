import { locationOf } from "@aurora-restore/core/events/arn";
import type {
  AccountRegion,
  ClusterSnapshot,
  DbCluster,
  DbInstance,
  SnapshotType,
} from "@aurora-restore/core/ports/index";
import { AwsCallError } from "@aurora-restore/core/ports/index";
import type { DBCluster, DBClusterSnapshot, DBInstance } from "@aws-sdk/client-rds";
import { omitUndefined } from "./sdk-shapes";

function required<T>(value: T | undefined, field: string, operation: string): T {
  if (value === undefined || value === null || value === "") {
    throw new AwsCallError(
      "UnknownError",
      `${operation} returned no ${field}; the response was incomplete.`,
      "rds",
    );
  }
  return value;
}

function iso(date: Date | undefined): string | undefined {
  return date ? date.toISOString() : undefined;
}

function snapshotType(value: string | undefined): SnapshotType {
  return value === "automated" || value === "shared" ? value : "manual";
}

export function toClusterSnapshot(
  snapshot: DBClusterSnapshot | undefined,
  operation: string,
  fallback: AccountRegion,
): ClusterSnapshot {
  const s = required(snapshot, "DBClusterSnapshot", operation);
  const arn = required(s.DBClusterSnapshotArn, "DBClusterSnapshotArn", operation);
  return omitUndefined({
    ...locationOf(arn, fallback),
    identifier: required(s.DBClusterSnapshotIdentifier, "DBClusterSnapshotIdentifier", operation),
    arn,
    clusterIdentifier: s.DBClusterIdentifier ?? "",
    status: required(s.Status, "Status", operation),
    type: snapshotType(s.SnapshotType),
    encrypted: s.StorageEncrypted ?? false,
    kmsKeyId: s.KmsKeyId,
    engine: s.Engine ?? "",
    engineVersion: s.EngineVersion,
    createdAt: iso(s.SnapshotCreateTime),
    percentProgress: s.PercentProgress,
  });
}

export function toDbCluster(
  cluster: DBCluster | undefined,
  operation: string,
  fallback: AccountRegion,
): DbCluster {
  const c = required(cluster, "DBCluster", operation);
  const arn = required(c.DBClusterArn, "DBClusterArn", operation);
  return omitUndefined({
    ...locationOf(arn, fallback),
    identifier: required(c.DBClusterIdentifier, "DBClusterIdentifier", operation),
    arn,
    status: required(c.Status, "Status", operation),
    engine: c.Engine ?? "",
    engineVersion: c.EngineVersion,
    endpoint: c.Endpoint,
    port: c.Port,
    masterUsername: c.MasterUsername ?? "",
    kmsKeyId: c.KmsKeyId,
    members: (c.DBClusterMembers ?? []).flatMap((member) =>
      member.DBInstanceIdentifier ? [{ instanceIdentifier: member.DBInstanceIdentifier }] : [],
    ),
    createdAt: iso(c.ClusterCreateTime),
    settings: nonEmpty({
      deletionProtection: c.DeletionProtection,
      dbClusterParameterGroupName: c.DBClusterParameterGroup,
      backupRetentionPeriod: c.BackupRetentionPeriod,
      iamDatabaseAuthentication: c.IAMDatabaseAuthenticationEnabled,
      cloudwatchLogsExports: c.EnabledCloudwatchLogsExports,
      tags: tagsOf(c.TagList),
    }),
  });
}

function tagsOf(list: { Key?: string; Value?: string }[] | undefined): Record<string, string> | undefined {
  if (!list) return undefined;
  return Object.fromEntries(list.flatMap((t) => (t.Key ? [[t.Key, t.Value ?? ""]] : [])));
}

export function toDbInstance(
  instance: DBInstance | undefined,
  operation: string,
  fallback: AccountRegion,
): DbInstance {
  const i = required(instance, "DBInstance", operation);
  const arn = required(i.DBInstanceArn, "DBInstanceArn", operation);
  return {
    ...locationOf(arn, fallback),
    identifier: required(i.DBInstanceIdentifier, "DBInstanceIdentifier", operation),
    arn,
    clusterIdentifier: i.DBClusterIdentifier ?? "",
    instanceClass: i.DBInstanceClass ?? "",
    status: required(i.DBInstanceStatus, "DBInstanceStatus", operation),
    ...withSettings({
      dbParameterGroupName: i.DBParameterGroups?.[0]?.DBParameterGroupName,
      performanceInsights:
        i.PerformanceInsightsEnabled === undefined
          ? undefined
          : omitUndefined({
              enabled: i.PerformanceInsightsEnabled,
              kmsKeyId: i.PerformanceInsightsKMSKeyId,
              retentionPeriod: i.PerformanceInsightsRetentionPeriod,
            }),
      monitoringInterval: i.MonitoringInterval,
      monitoringRoleArn: i.MonitoringRoleArn,
      publiclyAccessible: i.PubliclyAccessible,
      tags: tagsOf(i.TagList),
    }),
  };
}

/** Settings with their undefined members dropped, or undefined when none is known. */
function nonEmpty<T extends object>(settings: T): T | undefined {
  const known = omitUndefined(settings);
  return Object.keys(known).length > 0 ? known : undefined;
}

function withSettings<T extends object>(settings: T): { settings?: T } {
  const known = nonEmpty(settings);
  return known ? { settings: known } : {};
}

/** Newest first; snapshots still being created (no time yet) count as newest. Ties by identifier, for a stable order. */
export function newestFirst(a: ClusterSnapshot, b: ClusterSnapshot): number {
  const at = a.createdAt ?? "\uffff";
  const bt = b.createdAt ?? "\uffff";
  if (at !== bt) return at < bt ? 1 : -1;
  return a.identifier.localeCompare(b.identifier);
}
