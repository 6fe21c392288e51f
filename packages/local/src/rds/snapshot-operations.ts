import { rdsEventIds } from "@aurora-restore/core/events/rds";
import type { AccountRegion, ClusterSnapshot, SnapshotType } from "@aurora-restore/core/ports/index";
import {
  automatedSnapshotIdentifier,
  clusterSnapshotArn,
  normaliseManualSnapshotIdentifier,
  snapshotReference,
} from "./arns";
import { assertClusterStatus, findCluster, where } from "./cluster-lookup";
import type { RdsContext } from "./context";
import { rdsError } from "./errors";
import type { ClusterRecord, SnapshotRecord } from "./registry";
import { snapshotView } from "./views";

/** AWS's default quota of manual cluster snapshots per region. */
const manualSnapshotQuota = 100;

/** A snapshot the caller may see: its own, or another account's shared with it (by ARN, in the same region). */
export function findVisibleSnapshot(
  ctx: RdsContext,
  caller: AccountRegion,
  ref: AccountRegion & { identifier: string },
  text: string,
  options: { otherRegion?: boolean } = {},
): SnapshotRecord {
  const notFound = (why: string) =>
    rdsError("DBClusterSnapshotNotFoundFault", `DBClusterSnapshot ${text} not found${why}`);
  if (ref.region !== caller.region && !options.otherRegion) {
    throw notFound(
      `: it is in ${ref.region} and this call is in ${caller.region}; copy it into ${caller.region} first`,
    );
  }
  const record = ctx.registry.snapshot(ref, ref.identifier);
  if (!record) throw notFound(` in ${where(ref)}`);
  if (record.accountId !== caller.accountId && !record.sharedWith.includes(caller.accountId)) {
    throw notFound(
      ` in ${where(ref)} (or it is not shared with account ${caller.accountId}: share it from its owner first)`,
    );
  }
  return record;
}

/** The caller's own snapshot, by identifier or by its own ARN. */
export function findOwnSnapshot(
  ctx: RdsContext,
  location: AccountRegion,
  identifierOrArn: string,
): SnapshotRecord {
  const ref = snapshotReference(location, identifierOrArn);
  const record =
    ref.accountId === location.accountId && ref.region === location.region
      ? ctx.registry.snapshot(ref, ref.identifier)
      : undefined;
  if (!record)
    throw rdsError(
      "DBClusterSnapshotNotFoundFault",
      `DBClusterSnapshot ${identifierOrArn} not found in ${where(location)}`,
    );
  return record;
}

export function assertNewSnapshot(
  ctx: RdsContext,
  location: AccountRegion,
  identifier: string,
  type: "automated" | "manual",
): void {
  if (ctx.registry.snapshot(location, identifier)) {
    throw rdsError(
      "DBClusterSnapshotAlreadyExistsFault",
      `DBClusterSnapshot ${identifier} already exists in ${where(location)}: choose another identifier or delete the existing snapshot`,
    );
  }
  const manual = ctx.registry.snapshots.filter(
    (s) => s.accountId === location.accountId && s.region === location.region && s.type === "manual",
  );
  if (type === "manual" && manual.length >= manualSnapshotQuota) {
    throw rdsError(
      "SnapshotQuotaExceededFault",
      `Account ${location.accountId} has ${manual.length} manual cluster snapshots in ${location.region} (quota ${manualSnapshotQuota}): delete some first`,
    );
  }
}

/**
 * Records a snapshot of a running cluster (status creating, event 0074/0168), captures its data consistently
 * (a PostgreSQL server's files, or an instant cluster's manifest) encrypted under the cluster's key, then makes
 * it available (0075/0169). The backup is queued on the cluster before this returns, so a deletion that
 * follows waits for it.
 */
export async function startSnapshot(
  ctx: RdsContext,
  cluster: ClusterRecord,
  input: { identifier: string; type: "automated" | "manual"; tags?: Record<string, string> },
): Promise<SnapshotRecord> {
  assertNewSnapshot(ctx, cluster, input.identifier, input.type);
  const record: SnapshotRecord = {
    accountId: cluster.accountId,
    region: cluster.region,
    resourceId: ctx.newResourceId("snapshot"),
    identifier: input.identifier,
    clusterIdentifier: cluster.identifier,
    type: input.type,
    status: "creating",
    kmsKeyId: cluster.kmsKeyId,
    engine: cluster.engine,
    engineVersion: cluster.engineVersion,
    masterUsername: cluster.masterUsername,
    createdAt: ctx.now().toISOString(),
    sharedWith: [],
    ...(cluster.dataPath ? { dataPath: cluster.dataPath } : {}),
    ...(input.tags ? { tags: input.tags } : {}),
  };
  ctx.registry.snapshots.push(record);
  const saved = ctx.registry.save();
  const backup = ctx.data.snapshot(cluster, record);
  backup.catch(() => undefined);
  await saved;
  const source = {
    location: record,
    arn: clusterSnapshotArn(record, record.identifier),
    identifier: record.identifier,
  };
  const [creating, created] =
    input.type === "automated"
      ? ([rdsEventIds.automatedSnapshotCreating, rdsEventIds.automatedSnapshotCreated] as const)
      : ([rdsEventIds.manualSnapshotCreating, rdsEventIds.manualSnapshotCreated] as const);
  ctx.transitions.run(
    `snapshot ${record.identifier}`,
    async () => {
      await ctx.emit(creating, source);
      await Promise.all([backup, ctx.transitions.wait("snapshot")]);
      record.status = "available";
      await ctx.registry.save();
      await ctx.emit(created, source);
    },
    async () => {
      record.status = "failed";
      await ctx.registry.save();
    },
  );
  return record;
}

export async function createClusterSnapshot(
  ctx: RdsContext,
  location: AccountRegion,
  input: { clusterIdentifier: string; snapshotIdentifier: string; tags?: Record<string, string> },
): Promise<ClusterSnapshot> {
  await ctx.ready();
  const cluster = findCluster(ctx, location, input.clusterIdentifier);
  const identifier = normaliseManualSnapshotIdentifier(input.snapshotIdentifier);
  assertClusterStatus(cluster, ["available"], "CreateDBClusterSnapshot");
  const record = await startSnapshot(ctx, cluster, {
    identifier,
    type: "manual",
    ...(input.tags ? { tags: input.tags } : {}),
  });
  return snapshotView(record, location);
}

/** What RDS's backup window does: an automated snapshot `rds:<cluster>-YYYY-MM-DD-HH-MM` under the cluster's key. */
export async function createAutomatedSnapshot(
  ctx: RdsContext,
  location: AccountRegion,
  clusterIdentifier: string,
): Promise<ClusterSnapshot> {
  await ctx.ready();
  const cluster = findCluster(ctx, location, clusterIdentifier);
  assertClusterStatus(cluster, ["available"], "an automated snapshot");
  const record = await startSnapshot(ctx, cluster, {
    identifier: automatedSnapshotIdentifier(cluster.identifier, ctx.now()),
    type: "automated",
  });
  return snapshotView(record, location);
}

export async function describeClusterSnapshot(
  ctx: RdsContext,
  location: AccountRegion,
  identifierOrArn: string,
): Promise<ClusterSnapshot> {
  await ctx.ready();
  return snapshotView(
    findVisibleSnapshot(ctx, location, snapshotReference(location, identifierOrArn), identifierOrArn),
    location,
  );
}

export async function listClusterSnapshots(
  ctx: RdsContext,
  location: AccountRegion,
  input: { clusterIdentifier: string; type?: SnapshotType },
): Promise<ClusterSnapshot[]> {
  await ctx.ready();
  const cluster = input.clusterIdentifier.toLowerCase();
  return ctx.registry.snapshots
    .filter(
      (s) =>
        s.accountId === location.accountId && s.region === location.region && s.clusterIdentifier === cluster,
    )
    .filter((s) => input.type === undefined || s.type === input.type)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .map((s) => snapshotView(s, location));
}

/** DeleteDBClusterSnapshot: manual snapshots only (RDS expires automated ones itself). */
export async function deleteClusterSnapshot(
  ctx: RdsContext,
  location: AccountRegion,
  identifierOrArn: string,
): Promise<void> {
  await ctx.ready();
  const record = findOwnSnapshot(ctx, location, identifierOrArn);
  if (record.type === "automated") {
    throw rdsError(
      "InvalidDBClusterSnapshotStateFault",
      `${record.identifier} is an automated snapshot: RDS deletes it when its retention period ends; only manual snapshots can be deleted`,
    );
  }
  if (record.status !== "available" && record.status !== "failed") {
    throw rdsError(
      "InvalidDBClusterSnapshotStateFault",
      `DBClusterSnapshot ${record.identifier} is '${record.status}'; delete it once it is 'available'`,
    );
  }
  record.status = "deleting";
  await ctx.registry.save();
  ctx.transitions.run(`delete snapshot ${record.identifier}`, () => completeSnapshotDeletion(ctx, record));
}

export async function completeSnapshotDeletion(ctx: RdsContext, record: SnapshotRecord): Promise<void> {
  await ctx.transitions.wait("delete");
  await ctx.store.remove(record.resourceId);
  ctx.registry.remove(ctx.registry.snapshots, record);
  await ctx.registry.save();
}
