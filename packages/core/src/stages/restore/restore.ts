import { ClusterAvailable, ClusterCreated, type CopyCompleted } from "../../events/domain";
import { resourceNames } from "../../operation/ids";
import type { Plan, PlanTarget } from "../../plan/schema";
import { isAwsCallError } from "../../ports/errors";
import type { DbCluster, RdsPort } from "../../ports/rds";
import type { OperationInfo } from "../../storage/operations";
import { audit } from "../kit/audit";
import { claimStep, isRetryable, planTargetOf, type StageEvent, targetScope } from "../kit/claim";
import { deleteClusterWithInstances } from "../kit/cluster-swap";
import type { StageDeps } from "../kit/deps";
import { failOperation } from "../kit/fail";
import { pipelineMetrics } from "../kit/metrics";
import { NEXT_INSTANCES, recordedNextInstances } from "../kit/next-instances";
import { startWatch } from "../kit/watches";
import {
  encodeInstanceSettings,
  RECORDED_INSTANCE_SETTINGS,
  recordedInstanceSettings,
  type TargetSettings,
  targetSettingsOf,
} from "./target-settings";

/** The temporary cluster name is taken by a cluster this operation did not create. */
export class StaleNextClusterError extends Error {
  override name = "StaleNextClusterError";
  readonly code = "StaleNextCluster";
}

export class SnapshotOutsideTargetError extends Error {
  override name = "SnapshotOutsideTargetError";
  readonly code = "SnapshotOutsideTarget";
}

/**
 * A stale `-next` cluster an ended operation of the pipeline left (found by its tag) is being deleted; the
 * delivery is retried and restores once the name is free.
 */
export class StaleNextClusterDeletingError extends Error {
  override name = "StaleNextClusterDeletingError";
  readonly code = "StaleNextClusterDeleting";
  readonly retryable = true;
}

/** The tag naming the operation that created a cluster: how a later run knows a stale `-next` is the pipeline's. */
const OPERATION_TAG = "aurora-restore:operation";
const tagsOf = (operation: OperationInfo) => ({ [OPERATION_TAG]: operation.operationId });

/** The failed operation that kept the cluster no longer has it: a retry of it must not wait for it. */
async function forgetKeptCluster(deps: StageDeps, operationId: string, cluster: string): Promise<void> {
  const kept = (await deps.store.get(operationId))?.kept;
  if (kept?.nextCluster !== cluster) return;
  const { nextCluster: _gone, ...rest } = kept;
  await deps.store.recordKept(operationId, rest);
}

/** An operation that is over, or that the state no longer knows (its cluster outlived it). */
async function hasEnded(deps: StageDeps, operationId: string): Promise<boolean> {
  const owner = await deps.store.get(operationId);
  return owner === undefined || owner.status !== "running";
}

/**
 * restore (on CopyCompleted): restore (or clone) under the temporary name resourceNames().nextCluster with
 * the plan's subnet group, security groups and key, and the target's settings (target-settings.ts: the
 * plan's, else the existing target's: deletion protection, parameter group, backup retention, IAM database
 * authentication, log exports, tags), all passed explicitly (omitted, RDS uses the account defaults). The
 * watcher reports ClusterCreated when it is available.
 */
export async function onCopyCompleted(
  deps: StageDeps,
  event: StageEvent<typeof CopyCompleted>,
): Promise<void> {
  const { detail } = event;
  const peek = await deps.store.get(detail.operationId);
  const nextCluster = peek
    ? resourceNames(peek.operationId, peek.target.clusterIdentifier).nextCluster
    : undefined;
  // Read before the claim and stored with it (no write of its own): the settings and instance names the
  // second run uses. A failed read here is left to the same read after the claim, which handles it.
  const planned =
    peek?.step === "copy-completed" ? await plannedRestore(deps, peek).catch(() => undefined) : undefined;
  const operation = await claimStep(deps, {
    operationId: detail.operationId,
    eventId: event.id,
    from: "copy-completed",
    to: "restoring",
    stage: "restore",
    action: "restore-cluster",
    outputs: {
      ...(nextCluster ? { nextClusterId: nextCluster } : {}),
      ...(planned
        ? {
            [RECORDED_INSTANCE_SETTINGS]: encodeInstanceSettings(planned.settings.instance),
            [NEXT_INSTANCES]: planned.instances,
          }
        : {}),
    },
  });
  if (!operation) return;
  try {
    const { plan, target } = await planTargetOf(deps, operation);
    const name = resourceNames(operation.operationId, target.clusterIdentifier).nextCluster;
    const rds = deps.rds(targetScope(operation));
    const snapshot = detail.snapshot;
    if (
      target.restoreMethod !== "clone" &&
      (snapshot.accountId !== target.accountId || snapshot.region !== target.region)
    ) {
      throw new SnapshotOutsideTargetError(
        `CopyCompleted names ${snapshot.arn}, which is not in the target's account and region ${target.accountId}/${target.region}.`,
      );
    }
    const settings = planned?.settings ?? (await targetSettingsOf(rds, target));
    const cluster = await createOrAdopt(deps, rds, operation, name, () =>
      target.restoreMethod === "clone"
        ? clone(rds, plan, target, name, operation, settings)
        : restore(rds, target, name, snapshot.identifier, operation, settings),
    );
    const waiting = await startWatch(deps, operation, {
      watchId: "next-cluster",
      kind: "cluster-available",
      scope: targetScope(operation),
      resource: name,
      publish: ClusterCreated,
      atStep: "restoring",
      advanceTo: "cluster-created",
    });
    if (!waiting) return;
    await audit(deps, waiting, {
      stage: "restore",
      action: target.restoreMethod === "clone" ? "clone-cluster" : "restore-cluster",
      outcome: "started",
      eventId: event.id,
      details: {
        cluster: name,
        status: cluster.status,
        snapshot: target.restoreMethod === "clone" ? undefined : snapshot.arn,
        kmsKeyId: target.kmsKeyId,
        dbSubnetGroupName: target.network.dbSubnetGroupName,
        vpcSecurityGroupIds: target.network.vpcSecurityGroupIds,
        settings: settings.cluster,
        settingsFrom: settings.from,
      },
    });
    deps.metrics.count(pipelineMetrics.clustersRestoreStarted, 1, { method: target.restoreMethod });
  } catch (error) {
    if (isRetryable(error)) throw error;
    await failOperation(deps, operation, "restore", error, event.id);
  }
}

/**
 * restore (on ClusterCreated): RestoreDBClusterFromSnapshot creates no instances; create the plan's
 * instance(s) now, with the target's instance settings (parameter group, Performance Insights, enhanced
 * monitoring, tags) and never publicly accessible unless the plan says so. The watcher reports
 * ClusterAvailable (with the endpoint) when all are available.
 */
export async function onClusterCreated(
  deps: StageDeps,
  event: StageEvent<typeof ClusterCreated>,
): Promise<void> {
  const operation = await claimStep(deps, {
    operationId: event.detail.operationId,
    eventId: event.id,
    from: "cluster-created",
    to: "creating-instances",
    stage: "restore",
    action: "create-instances",
  });
  if (!operation) return;
  try {
    const { target } = await planTargetOf(deps, operation);
    const names = resourceNames(operation.operationId, target.clusterIdentifier);
    const cluster = event.detail.cluster.clusterIdentifier;
    if (cluster !== names.nextCluster) {
      throw new StaleNextClusterError(
        `ClusterCreated names ${cluster}, but this operation restores ${names.nextCluster}.`,
      );
    }
    const rds = deps.rds(targetScope(operation));
    // Recorded by the first run; an operation restored before they were recorded reads them again.
    const settings =
      recordedInstanceSettings(operation.outputs) ?? (await targetSettingsOf(rds, target)).instance;
    const { tags, ...instanceSettings } = settings;
    const instances = recordedNextInstances(operation) ?? nextInstanceNames(operation, target);
    for (const instanceIdentifier of instances) {
      try {
        await rds.createInstance({
          instanceIdentifier,
          clusterIdentifier: cluster,
          instanceClass: target.instances.instanceClass,
          engine: target.engine,
          tags: { ...tags, ...tagsOf(operation) },
          settings: instanceSettings,
        });
      } catch (error) {
        // Created by an earlier attempt of this same delivery: the deterministic name says so.
        if (!isAwsCallError(error, "DBInstanceAlreadyExistsFault")) throw error;
      }
    }
    const waiting = await startWatch(deps, operation, {
      watchId: "next-instances",
      kind: "instances-available",
      scope: targetScope(operation),
      resource: cluster,
      instances,
      publish: ClusterAvailable,
      atStep: "creating-instances",
      advanceTo: "cluster-available",
    });
    if (!waiting) return;
    await audit(deps, waiting, {
      stage: "restore",
      action: "create-instances",
      outcome: "started",
      eventId: event.id,
      details: {
        cluster,
        instances,
        instanceClass: target.instances.instanceClass,
        settings: instanceSettings,
      },
    });
  } catch (error) {
    if (isRetryable(error)) throw error;
    await failOperation(deps, operation, "restore", error, event.id);
  }
}

/** The instances restore creates: `<next cluster>-<n>`, as many as the plan asks. */
function nextInstanceNames(operation: Pick<OperationInfo, "operationId">, target: PlanTarget): string[] {
  const { nextCluster, instance } = resourceNames(operation.operationId, target.clusterIdentifier);
  return Array.from({ length: target.instances.count }, (_, i) => instance(i, nextCluster));
}

/** What the first run decides before its claim: the target's settings (one read of the target) and instances. */
async function plannedRestore(deps: StageDeps, operation: OperationInfo) {
  const { target } = await planTargetOf(deps, operation);
  const settings = await targetSettingsOf(deps.rds(targetScope(operation)), target);
  return { settings, instances: nextInstanceNames(operation, target) };
}

/** Creates the cluster, or adopts the one a previous attempt of this operation created under the same name. */
async function createOrAdopt(
  deps: StageDeps,
  rds: RdsPort,
  operation: OperationInfo,
  name: string,
  create: () => Promise<DbCluster>,
): Promise<DbCluster> {
  try {
    return await create();
  } catch (error) {
    if (!isAwsCallError(error, "DBClusterAlreadyExistsFault")) throw error;
  }
  const existing = await rds.describeCluster(name);
  if (existing.createdAt && existing.createdAt < operation.createdAt) {
    const owner = existing.settings?.tags?.[OPERATION_TAG];
    if (owner && owner !== operation.operationId && (await hasEnded(deps, owner))) {
      // Left by an earlier run of the pipeline (failed, or kept past its use): ours to remove.
      const result = await deleteClusterWithInstances(rds, name);
      await forgetKeptCluster(deps, owner, name);
      throw new StaleNextClusterDeletingError(
        `Cluster ${name} was left by operation ${owner}, which has ended; it is being deleted (${result}) and the restore is retried.`,
      );
    }
    throw new StaleNextClusterError(
      `Cluster ${name} already exists from an earlier run (created ${existing.createdAt}), so it may hold old data. ` +
        `Delete it (its instances first: aws rds delete-db-instance, then aws rds delete-db-cluster --db-cluster-identifier ${name} --skip-final-snapshot) and restore again.`,
    );
  }
  return existing;
}

/** The cluster settings of a restore or clone: parameter group and tags in their own fields. */
function clusterFields(settings: TargetSettings, operation: OperationInfo) {
  const { dbClusterParameterGroupName, tags, ...rest } = settings.cluster;
  return {
    ...(dbClusterParameterGroupName ? { dbClusterParameterGroupName } : {}),
    tags: { ...tags, ...tagsOf(operation) },
    ...(Object.keys(rest).length > 0 ? { settings: rest } : {}),
  };
}

function restore(
  rds: RdsPort,
  target: PlanTarget,
  name: string,
  snapshotIdentifier: string,
  operation: OperationInfo,
  settings: TargetSettings,
) {
  return rds.restoreClusterFromSnapshot({
    clusterIdentifier: name,
    snapshotIdentifier,
    engine: target.engine,
    ...(target.engineVersion ? { engineVersion: target.engineVersion } : {}),
    kmsKeyId: target.kmsKeyId,
    ...(target.network.dbSubnetGroupName ? { dbSubnetGroupName: target.network.dbSubnetGroupName } : {}),
    ...(target.network.vpcSecurityGroupIds.length > 0
      ? { vpcSecurityGroupIds: target.network.vpcSecurityGroupIds }
      : {}),
    ...clusterFields(settings, operation),
  });
}

function clone(
  rds: RdsPort,
  plan: Plan,
  target: PlanTarget,
  name: string,
  operation: OperationInfo,
  settings: TargetSettings,
) {
  return rds.cloneCluster({
    clusterIdentifier: name,
    sourceClusterIdentifier: plan.source.clusterIdentifier,
    kmsKeyId: target.kmsKeyId,
    ...(target.network.dbSubnetGroupName ? { dbSubnetGroupName: target.network.dbSubnetGroupName } : {}),
    ...(target.network.vpcSecurityGroupIds.length > 0
      ? { vpcSecurityGroupIds: target.network.vpcSecurityGroupIds }
      : {}),
    ...clusterFields(settings, operation),
  });
}
