import { rdsEventIds } from "@aurora-restore/core/events/rds";
import type { AccountRegion, DbCluster, ModifyClusterInput } from "@aurora-restore/core/ports/index";
import { clusterArn, normaliseIdentifier, normaliseManualSnapshotIdentifier } from "./arns";
import { bringUp, markFailed } from "./cluster-creation";
import { assertClusterStatus, findCluster, newClusterName } from "./cluster-lookup";
import type { RdsContext } from "./context";
import { scramVerifier, validateMasterPassword } from "./credentials";
import { rdsError } from "./errors";
import type { ClusterRecord } from "./registry";
import { assertNewSnapshot, startSnapshot } from "./snapshot-operations";
import { clusterView } from "./views";
/**
 * ModifyDBCluster, applied immediately. A rename takes `rename` ms (status renaming; the new name is reserved,
 * the ARN changes with it, event 0172). A new master password leaves resetting-master-credentials after half of
 * `passwordChange` and takes effect only at its end: as in AWS, the cluster is available again while the old
 * password still works, so callers must wait until a login with the new one succeeds. With `passwordChange`
 * set to 0 (fast tests) a password change alone takes effect before the call returns.
 */
export async function modifyCluster(
  ctx: RdsContext,
  location: AccountRegion,
  input: ModifyClusterInput,
): Promise<DbCluster> {
  await ctx.ready();
  const record = findCluster(ctx, location, input.clusterIdentifier);
  if (input.deletionProtection !== undefined) {
    // Applied at once, as RDS does (the cluster does not go through 'modifying').
    assertClusterStatus(record, ["available", "failed"], "ModifyDBCluster");
    record.settings = { ...record.settings, deletionProtection: input.deletionProtection };
    await ctx.registry.save();
  }
  if (input.newClusterIdentifier === undefined && input.masterUserPassword === undefined) {
    return clusterView(ctx.registry, record);
  }
  assertClusterStatus(record, ["available"], "ModifyDBCluster");
  if (input.masterUserPassword !== undefined) validateMasterPassword(input.masterUserPassword);
  let newName: string | undefined;
  if (input.newClusterIdentifier !== undefined) {
    newName = normaliseIdentifier(input.newClusterIdentifier, "NewDBClusterIdentifier");
    if (newName === record.identifier) newName = undefined;
    else newName = newClusterName(ctx, location, newName);
  }
  if (newName !== undefined) {
    record.pendingIdentifier = newName;
    record.status = "renaming";
  }
  if (
    input.masterUserPassword !== undefined &&
    newName === undefined &&
    ctx.transitions.immediate("passwordChange")
  ) {
    await ctx.data.setMasterPassword(record, scramVerifier(input.masterUserPassword));
    return clusterView(ctx.registry, record);
  }
  if (input.masterUserPassword !== undefined) {
    record.pendingPasswordVerifier = scramVerifier(input.masterUserPassword);
    if (newName === undefined) record.status = "resetting-master-credentials";
  }
  await ctx.registry.save();
  const view = clusterView(ctx.registry, record);
  ctx.transitions.run(
    `modify cluster ${record.identifier}`,
    () => completeModification(ctx, record),
    markFailed(ctx, record),
  );
  return view;
}

/** Finishes a pending rename and/or password change (also after a restart, from the registry). */
export async function completeModification(ctx: RdsContext, record: ClusterRecord): Promise<void> {
  if (record.pendingIdentifier !== undefined) {
    await ctx.transitions.wait("rename");
    const old = record.identifier;
    record.identifier = record.pendingIdentifier;
    delete record.pendingIdentifier;
    record.status =
      record.pendingPasswordVerifier === undefined ? "available" : "resetting-master-credentials";
    await ctx.registry.save();
    await ctx.emit(
      rdsEventIds.clusterRenamed,
      { location: record, arn: clusterArn(record, record.identifier), identifier: record.identifier },
      { old, new: record.identifier },
    );
  }
  if (record.pendingPasswordVerifier !== undefined) {
    await ctx.transitions.wait("passwordChange", 0.5);
    record.status = "available";
    await ctx.registry.save();
    await ctx.transitions.wait("passwordChange", 0.5);
    const verifier = record.pendingPasswordVerifier;
    await ctx.data.setMasterPassword(record, verifier);
    if (record.pendingPasswordVerifier === verifier) delete record.pendingPasswordVerifier;
    await ctx.registry.save();
  }
}

/**
 * DeleteDBCluster: refused while deletion protection is on (as AWS: InvalidParameterCombination) or while it
 * has instances; an optional final snapshot is taken first.
 */
export async function deleteCluster(
  ctx: RdsContext,
  location: AccountRegion,
  input: { clusterIdentifier: string; finalSnapshotIdentifier?: string },
): Promise<void> {
  await ctx.ready();
  const record = findCluster(ctx, location, input.clusterIdentifier);
  if (record.settings?.deletionProtection) {
    throw rdsError(
      "InvalidParameterCombinationException",
      `Cannot delete protected Cluster ${record.identifier}, please disable deletion protection and try again (ModifyDBCluster DeletionProtection=false)`,
    );
  }
  assertClusterStatus(record, ["available", "failed"], "DeleteDBCluster");
  const live = ctx.registry.instancesOf(record).filter((i) => i.status !== "deleting");
  if (live.length > 0) {
    throw rdsError(
      "InvalidDBClusterStateFault",
      `DBCluster ${record.identifier} still contains DB instances (${live.map((i) => i.identifier).join(", ")}): delete them first`,
    );
  }
  let finalSnapshot: Promise<unknown> | undefined;
  if (input.finalSnapshotIdentifier !== undefined) {
    if (record.status !== "available") {
      throw rdsError(
        "InvalidDBClusterStateFault",
        `DBCluster ${record.identifier} is '${record.status}': no final snapshot can be taken; delete it without one`,
      );
    }
    const identifier = normaliseManualSnapshotIdentifier(input.finalSnapshotIdentifier);
    assertNewSnapshot(ctx, record, identifier, "manual");
    // Recorded and queued on the cluster before this returns; awaited once the cluster is 'deleting'.
    finalSnapshot = startSnapshot(ctx, record, { identifier, type: "manual" });
  }
  // Set before anything is awaited, so a concurrent DeleteDBCluster is refused.
  record.status = "deleting";
  await finalSnapshot;
  await ctx.registry.save();
  ctx.transitions.run(
    `delete cluster ${record.identifier}`,
    () => completeDeletion(ctx, record),
    markFailed(ctx, record),
  );
}

export async function completeDeletion(ctx: RdsContext, record: ClusterRecord): Promise<void> {
  await ctx.transitions.wait("delete");
  // Queued behind a running backup (a final snapshot), so the data stays until it is captured.
  await ctx.data.destroy(record);
  ctx.registry.remove(ctx.registry.clusters, record);
  await ctx.registry.save();
  await ctx.emit(rdsEventIds.clusterDeleted, {
    location: record,
    arn: clusterArn(record, record.identifier),
    identifier: record.identifier,
  });
}

export function describeCluster(ctx: RdsContext, location: AccountRegion, identifier: string): DbCluster {
  return clusterView(ctx.registry, findCluster(ctx, location, identifier));
}

/** After a restart: serves the cluster again and finishes what its status says was in progress. */
export async function resumeCluster(ctx: RdsContext, record: ClusterRecord): Promise<void> {
  if (record.status === "failed") return;
  if (record.status === "deleting") {
    ctx.transitions.run(
      `resume deletion of ${record.identifier}`,
      () => completeDeletion(ctx, record),
      markFailed(ctx, record),
    );
    return;
  }
  if (record.status === "creating") {
    if (record.dataReady) {
      ctx.transitions.run(
        `resume creation of ${record.identifier}`,
        () => bringUp(ctx, record),
        markFailed(ctx, record),
      );
    } else {
      record.status = "failed";
      ctx.warn(
        `cluster ${record.identifier} was being created when the previous process ended; it is now 'failed': delete it and create it again`,
      );
    }
    return;
  }
  try {
    await ctx.data.start(record);
  } catch (error) {
    record.status = "failed";
    ctx.warn(
      `cluster ${record.identifier} could not be started and is now 'failed': ${error instanceof Error ? error.message : String(error)}`,
    );
    return;
  }
  if (record.pendingIdentifier !== undefined || record.pendingPasswordVerifier !== undefined) {
    ctx.transitions.run(
      `resume modification of ${record.identifier}`,
      () => completeModification(ctx, record),
      markFailed(ctx, record),
    );
  }
}
