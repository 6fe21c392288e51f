import type { AccountRegion, ClusterSnapshot, DbCluster, DbInstance } from "@aurora-restore/core/ports/index";
import { clusterArn, clusterSnapshotArn, instanceArn } from "./arns";
import type { ClusterRecord, InstanceRecord, Registry, SnapshotRecord } from "./registry";

/** The port's view of records: what DescribeDBClusters / Instances / ClusterSnapshots would return. */
export function clusterView(registry: Registry, record: ClusterRecord): DbCluster {
  return {
    accountId: record.accountId,
    region: record.region,
    identifier: record.identifier,
    arn: clusterArn(record, record.identifier),
    status: record.status,
    engine: record.engine,
    engineVersion: record.engineVersion,
    endpoint: "127.0.0.1",
    port: record.port,
    masterUsername: record.masterUsername,
    kmsKeyId: record.kmsKeyId,
    members: registry.instancesOf(record).map((i) => ({ instanceIdentifier: i.identifier })),
    createdAt: record.createdAt,
    ...withSettings(record.settings, record.tags),
  };
}

/** Settings as a describe reports them (tags among them), or nothing when none were given. */
function withSettings<T extends object>(
  settings: T | undefined,
  tags: Record<string, string> | undefined,
): { settings?: T & { tags?: Record<string, string> } } {
  if (!settings && !tags) return {};
  return { settings: { ...(settings ?? ({} as T)), ...(tags ? { tags: { ...tags } } : {}) } };
}

export function instanceView(registry: Registry, record: InstanceRecord): DbInstance {
  const cluster = registry.clusters.find((c) => c.resourceId === record.clusterResourceId);
  return {
    accountId: record.accountId,
    region: record.region,
    identifier: record.identifier,
    arn: instanceArn(record, record.identifier),
    clusterIdentifier: cluster?.identifier ?? "",
    instanceClass: record.instanceClass,
    status: record.status,
    ...withSettings(record.settings, record.tags),
  };
}

/** `viewer` decides the type: a snapshot of another account appears as "shared", as in DescribeDBClusterSnapshots. */
export function snapshotView(record: SnapshotRecord, viewer: AccountRegion): ClusterSnapshot {
  const owned = record.accountId === viewer.accountId;
  return {
    accountId: record.accountId,
    region: record.region,
    identifier: record.identifier,
    arn: clusterSnapshotArn(record, record.identifier),
    clusterIdentifier: record.clusterIdentifier,
    status: record.status,
    type: owned ? record.type : "shared",
    encrypted: true,
    kmsKeyId: record.kmsKeyId,
    engine: record.engine,
    engineVersion: record.engineVersion,
    createdAt: record.createdAt,
    percentProgress: record.status === "available" ? 100 : 0,
    ...(owned ? { sharedWith: [...record.sharedWith] } : {}),
  };
}
