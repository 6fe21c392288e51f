import { rdsEventIds } from "@aurora-restore/core/events/rds";
import type {
  AccountRegion,
  CloneClusterInput,
  DbCluster,
  RestoreClusterInput,
} from "@aurora-restore/core/ports/index";
import { clusterArn, snapshotReference } from "./arns";
import {
  assertClusterStatus,
  assertEngine,
  auroraEngine,
  findCluster,
  newClusterName,
  resolveKey,
} from "./cluster-lookup";
import type { RdsContext } from "./context";
import { scramVerifier, validateMasterPassword, validateMasterUsername } from "./credentials";
import { rdsError } from "./errors";
import type { ClusterRecord } from "./registry";
import { findVisibleSnapshot } from "./snapshot-operations";
import { SnapshotIntegrityError } from "./snapshot-store";
import { clusterView } from "./views";

export const postgresVersion = "17.10";

/** The settings a restore or clone is created with, kept on the record (DescribeDBClusters reports them). */
function settingsOf(input: RestoreClusterInput | CloneClusterInput): Pick<ClusterRecord, "settings"> {
  const settings = {
    ...input.settings,
    ...(input.dbClusterParameterGroupName
      ? { dbClusterParameterGroupName: input.dbClusterParameterGroupName }
      : {}),
  };
  return Object.keys(settings).length > 0 ? { settings } : {};
}

async function newClusterRecord(
  ctx: RdsContext,
  location: AccountRegion,
  fields: {
    identifier: string;
    masterUsername: string;
    kmsKeyId: string;
    tags?: Record<string, string>;
    settings?: ClusterRecord["settings"];
  },
): Promise<ClusterRecord> {
  return {
    accountId: location.accountId,
    region: location.region,
    resourceId: ctx.newResourceId("cluster"),
    status: "creating",
    engine: auroraEngine,
    engineVersion: postgresVersion,
    port: await ctx.data.newPort(),
    createdAt: ctx.now().toISOString(),
    dataReady: false,
    ...(ctx.data.mode === "instant" ? { dataPath: "instant" as const } : {}),
    ...fields,
  };
}

/**
 * Adds a new cluster's record. Its name is checked again here, with nothing awaited before the record is
 * added, so a concurrent call that took the name meanwhile makes this one fail as AWS would.
 */
async function addCluster(ctx: RdsContext, record: ClusterRecord): Promise<void> {
  newClusterName(ctx, record, record.identifier);
  ctx.registry.clusters.push(record);
  await ctx.registry.save();
}

/**
 * Starts serving a cluster whose data is ready (creating `database` on the way), then makes it available and
 * announces it (0170).
 */
export async function bringUp(
  ctx: RdsContext,
  record: ClusterRecord,
  options: { database?: string } = {},
): Promise<void> {
  record.dataReady = true;
  await ctx.registry.save();
  await ctx.data.start(record, options);
  await ctx.transitions.wait("create");
  record.status = "available";
  await ctx.registry.save();
  await ctx.emit(rdsEventIds.clusterCreated, {
    location: record,
    arn: clusterArn(record, record.identifier),
    identifier: record.identifier,
  });
}

export function markFailed(ctx: RdsContext, record: ClusterRecord) {
  return async () => {
    record.status = "failed";
    await ctx.registry.save();
  };
}

/** A new cluster with an empty database (the demo's "production"); no instance until CreateDBInstance. */
export async function createCluster(
  ctx: RdsContext,
  input: AccountRegion & {
    clusterIdentifier: string;
    masterUsername: string;
    masterPassword: string;
    kmsKeyId?: string;
    databaseName?: string;
  },
): Promise<DbCluster> {
  await ctx.ready();
  const location = { accountId: input.accountId, region: input.region };
  validateMasterUsername(input.masterUsername);
  validateMasterPassword(input.masterPassword);
  if (input.databaseName !== undefined && !/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(input.databaseName)) {
    throw rdsError(
      "InvalidParameterValueException",
      `DatabaseName '${input.databaseName}' is invalid: use 1 to 63 letters, digits or underscores, starting with a letter`,
    );
  }
  const identifier = newClusterName(ctx, location, input.clusterIdentifier);
  const kmsKeyId = await resolveKey(ctx, location, input.kmsKeyId);
  const verifier = scramVerifier(input.masterPassword);
  const record = await newClusterRecord(ctx, location, {
    identifier,
    masterUsername: input.masterUsername,
    kmsKeyId,
  });
  await addCluster(ctx, record);
  ctx.transitions.run(
    `create cluster ${identifier}`,
    async () => {
      await ctx.data.initialise(record, verifier);
      await bringUp(ctx, record, input.databaseName === undefined ? {} : { database: input.databaseName });
    },
    markFailed(ctx, record),
  );
  return clusterView(ctx.registry, record);
}

/**
 * RestoreDBClusterFromSnapshot: the snapshot is decrypted and verified in the call (a refused key or a modified
 * file fails it), then a new server replays the snapshot's WAL and the cluster becomes available. No instances.
 */
export async function restoreCluster(
  ctx: RdsContext,
  location: AccountRegion,
  input: RestoreClusterInput,
): Promise<DbCluster> {
  await ctx.ready();
  assertEngine(input.engine, input.engineVersion);
  const identifier = newClusterName(ctx, location, input.clusterIdentifier);
  const snapshot = findVisibleSnapshot(
    ctx,
    location,
    snapshotReference(location, input.snapshotIdentifier),
    input.snapshotIdentifier,
  );
  if (snapshot.status !== "available") {
    throw rdsError(
      "InvalidDBClusterSnapshotStateFault",
      `DBClusterSnapshot ${snapshot.identifier} is '${snapshot.status}'; a restore needs it 'available': wait for it to finish`,
    );
  }
  const kmsKeyId =
    input.kmsKeyId === undefined ? snapshot.kmsKeyId : await resolveKey(ctx, location, input.kmsKeyId);
  const record = await newClusterRecord(ctx, location, {
    identifier,
    masterUsername: snapshot.masterUsername,
    kmsKeyId,
    ...(input.tags ? { tags: input.tags } : {}),
    ...settingsOf(input),
  });
  await addCluster(ctx, record);
  try {
    await ctx.data.restore(record, snapshot, { accountId: location.accountId, region: snapshot.region });
  } catch (error) {
    ctx.registry.remove(ctx.registry.clusters, record);
    await ctx.registry.save();
    await ctx.data.discard(record);
    if (error instanceof SnapshotIntegrityError) {
      throw rdsError(
        "InvalidDBClusterSnapshotStateFault",
        `DBClusterSnapshot ${snapshot.identifier} cannot be restored: ${error.message}`,
        error,
      );
    }
    throw error;
  }
  // Its data is complete: from now on a next process resumes the creation (as AWS does whatever befalls the caller).
  record.dataReady = true;
  await ctx.registry.save();
  ctx.transitions.run(`restore cluster ${identifier}`, () => bringUp(ctx, record), markFailed(ctx, record));
  return clusterView(ctx.registry, record);
}

/** Aurora clone (copy-on-write in AWS): here a consistent copy of the running source, same account and region. */
export async function cloneCluster(
  ctx: RdsContext,
  location: AccountRegion,
  input: CloneClusterInput,
): Promise<DbCluster> {
  await ctx.ready();
  const source = findCluster(ctx, location, input.sourceClusterIdentifier);
  assertClusterStatus(source, ["available"], "a clone");
  const identifier = newClusterName(ctx, location, input.clusterIdentifier);
  const kmsKeyId =
    input.kmsKeyId === undefined ? source.kmsKeyId : await resolveKey(ctx, location, input.kmsKeyId);
  const record = await newClusterRecord(ctx, location, {
    identifier,
    masterUsername: source.masterUsername,
    kmsKeyId,
    ...(input.tags ? { tags: input.tags } : {}),
    ...settingsOf(input),
  });
  await addCluster(ctx, record);
  const copied = ctx.data.clone(source, record);
  copied.catch(() => undefined);
  ctx.transitions.run(
    `clone cluster ${identifier}`,
    async () => {
      await copied;
      await bringUp(ctx, record);
    },
    markFailed(ctx, record),
  );
  return clusterView(ctx.registry, record);
}
