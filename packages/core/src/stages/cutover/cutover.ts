import type { RestoreVerified } from "../../events/domain";
import { resourceNames } from "../../operation/ids";
import { isAwsCallError } from "../../ports/errors";
import type { RdsPort } from "../../ports/rds";
import type { OperationInfo } from "../../storage/operations";
import { advance, loadAt } from "../kit/advance";
import { audit } from "../kit/audit";
import { claimStep, isRetryable, type StageEvent, targetScope } from "../kit/claim";
import {
  describeEither,
  type InstanceRename,
  type KnownCluster,
  knownOf,
  numberedRenames,
  renameCluster,
} from "../kit/cluster-swap";
import type { StageDeps } from "../kit/deps";
import { failOperation } from "../kit/fail";
import { holdLease, newLease } from "../kit/lease";
import { recordedNextInstances } from "../kit/next-instances";
import type { ClusterRenamed } from "./contracts";
import { finishCutover } from "./cutover-finish";
import { CutoverRolledBackError, oldInstanceRenames, rollBack, watchRename } from "./cutover-rollback";

/**
 * cutover: the verified cluster takes over the target's name in steps, each behind a conditional
 * transition, each rename confirmed by the watcher (ClusterRenamed) before the next:
 *   RestoreVerified -> cutting-over: rename the existing target (and instances) away to oldCluster
 *   ClusterRenamed(old-moved-away) -> old-moved-away: rename next (and instances) to the target name
 *   ClusterRenamed(new-moved-in) -> new-moved-in: promote the staged credentials (AWSPENDING) to AWSCURRENT
 *     with the target endpoint, delete the old cluster, completed
 * A failure before the new cluster holds the name renames everything back (rolling-back), and
 * ClusterRenamed(rolled-back) fails the operation: the target is left as it was.
 *
 * Watches (see kit/watches.ts): kind "cluster-renamed", watchId "cluster-renamed:<step>", resource = the name
 * the cluster must answer to, context { publish: ClusterRenamed, atStep, renameStep, previousIdentifier,
 * instances } with no advanceTo: the watcher publishes ClusterRenamed(renameStep), this stage transitions.
 */

/** cutover on ClusterRenamed: the rename it asked for finished; the next step, or the failure after a rollback. */
export async function onClusterRenamed(
  deps: StageDeps,
  event: StageEvent<typeof ClusterRenamed>,
): Promise<void> {
  const context = { stage: "cutover" as const, eventId: event.id };
  const { operationId } = event.detail;
  switch (event.detail.step) {
    case "old-moved-away": {
      const operation = await claimStep(deps, {
        operationId,
        eventId: event.id,
        from: "cutting-over",
        to: "old-moved-away",
        stage: "cutover",
        action: "old-moved-away",
      });
      if (operation) await moveNewIn(deps, operation, event.id);
      return;
    }
    case "new-moved-in": {
      const operation = await claimStep(deps, {
        operationId,
        eventId: event.id,
        from: "old-moved-away",
        to: "new-moved-in",
        stage: "cutover",
        action: "new-moved-in",
      });
      if (operation) await finishCutover(deps, operation, event.id, event.detail.endpoint);
      return;
    }
    case "rolled-back": {
      const operation = await loadAt(deps, operationId, ["rolling-back"], {
        ...context,
        action: "rolled-back",
      });
      if (!operation) return;
      await audit(deps, operation, { ...context, action: "rolled-back", outcome: "succeeded" });
      await failOperation(deps, operation, "cutover", new CutoverRolledBackError(operation), event.id);
      return;
    }
  }
}

/** cutover on RestoreVerified: moves the existing target away (or, with none, the new cluster straight in). */
export async function onRestoreVerified(
  deps: StageDeps,
  event: StageEvent<typeof RestoreVerified>,
): Promise<void> {
  const { operationId } = event.detail;
  // What is under the target name now decides the steps; read before the claim, stored with it.
  const current = await deps.store.get(operationId);
  if (current?.step === "old-moved-away") {
    // A RestoreVerified found no cluster to move away and went straight on to move the new one in: a
    // duplicate does nothing while that lease is live, and resumes the move once it expired (a crash).
    const resumed = await claimStep(deps, {
      operationId,
      eventId: event.id,
      from: "verified",
      to: "old-moved-away",
      stage: "cutover",
      action: "old-moved-away",
    });
    if (resumed) await moveNewIn(deps, resumed, event.id);
    return;
  }
  let outputs: OperationInfo["outputs"] | undefined;
  let described: KnownCluster | undefined;
  if (current?.step === "verified") {
    try {
      ({ outputs, described } = await describeTarget(deps, current));
    } catch (error) {
      if (isRetryable(error)) throw error;
      await failOperation(
        deps,
        current,
        "cutover",
        error,
        event.id,
        "Nothing was renamed; the target is unchanged.",
      );
      return;
    }
  }
  // No cluster holds the target name: nothing to move away, so the claim goes straight to old-moved-away
  // (one write where a claim of cutting-over and a move on made two; a duplicate finds it there, above).
  const nothingToMove = outputs?.oldClusterExisted === false;
  const operation = await claimStep(deps, {
    operationId,
    eventId: event.id,
    from: "verified",
    to: nothingToMove ? "old-moved-away" : "cutting-over",
    stage: "cutover",
    action: "cutover-started",
    outputs,
  });
  if (!operation) return;
  if (operation.step === "old-moved-away") {
    await moveNewIn(deps, operation, event.id);
    return;
  }
  const { target } = operation;
  const names = resourceNames(operationId, target.clusterIdentifier);

  if (operation.outputs.oldClusterExisted !== true) {
    // A resumed delivery of a claim of cutting-over made before it was decided there is nothing to move.
    // The lease goes along: moving the new cluster in is still this delivery's work.
    const moved = await advance(deps, operation, {
      to: "old-moved-away",
      eventId: event.id,
      action: "old-moved-away",
      lease: newLease(deps, { step: "old-moved-away", from: "verified", eventId: event.id }),
    });
    if (!moved) return;
    holdLease(moved);
    await moveNewIn(deps, moved, event.id);
    return;
  }

  const instances = oldInstanceRenames(operation);
  try {
    await renameCluster(deps.rds(targetScope(operation)), {
      from: target.clusterIdentifier,
      to: names.oldCluster,
      instances,
      // Described by this delivery just before its claim: not described again. A resumed delivery describes.
      ...(described ? { known: described } : {}),
    });
  } catch (error) {
    if (isRetryable(error)) throw error;
    await rollBack(deps, operation, event.id, error);
    return;
  }
  const waiting = await watchRename(deps, operation, "old-moved-away", {
    resource: names.oldCluster,
    previousIdentifier: target.clusterIdentifier,
    instances: instances.map((r) => r.to),
  });
  if (!waiting) return;
  await audit(deps, waiting, {
    stage: "cutover",
    action: "rename-old-away",
    outcome: "succeeded",
    eventId: event.id,
    details: { from: target.clusterIdentifier, to: names.oldCluster, instances },
  });
}

/**
 * The one look at the live target before anything is renamed, and it stays: whether a cluster holds the
 * target's name now (restore's read of it is from before the restore, configure and verify, and a person
 * may have created, replaced or resized the target since) and which instances it has now, which are
 * the ones renamed away. Nothing an event carries can stand in for it.
 */
async function describeTarget(
  deps: StageDeps,
  operation: OperationInfo,
): Promise<{ outputs: OperationInfo["outputs"]; described?: KnownCluster }> {
  const names = resourceNames(operation.operationId, operation.target.clusterIdentifier);
  try {
    const cluster = await deps
      .rds(targetScope(operation))
      .describeCluster(operation.target.clusterIdentifier);
    const original = cluster.members.map((m) => m.instanceIdentifier).sort();
    return {
      outputs: {
        oldClusterExisted: true,
        oldInstances: original,
        oldInstancesMoved: original.map((_, i) => names.instance(i, names.oldCluster)),
      },
      described: { under: operation.target.clusterIdentifier, members: original },
    };
  } catch (error) {
    if (isAwsCallError(error, "DBClusterNotFoundFault")) return { outputs: { oldClusterExisted: false } };
    throw error;
  }
}

/** At old-moved-away: the restored cluster (and its instances) takes the target's name. */
async function moveNewIn(deps: StageDeps, operation: OperationInfo, eventId: string): Promise<void> {
  const { target } = operation;
  const names = resourceNames(operation.operationId, target.clusterIdentifier);
  const rds = deps.rds(targetScope(operation));
  let instances: InstanceRename[] = [];
  let finalNames: string[] = [];
  try {
    ({ instances, finalNames } = await renameNewIn(rds, operation));
  } catch (error) {
    if (isRetryable(error)) throw error;
    await rollBack(deps, operation, eventId, error);
    return;
  }
  const waiting = await watchRename(deps, operation, "new-moved-in", {
    resource: target.clusterIdentifier,
    previousIdentifier: names.nextCluster,
    instances: finalNames,
  });
  if (!waiting) return;
  await audit(deps, waiting, {
    stage: "cutover",
    action: "rename-new-in",
    outcome: "succeeded",
    eventId,
    details: { from: names.nextCluster, to: target.clusterIdentifier, instances },
  });
}

/**
 * Renames the restored cluster and its instances to the target's names. The instances are the ones restore
 * recorded when it created them (outputs.nextInstances), so nothing is described first: the cluster is the
 * pipeline's own, and the target's name was confirmed free (ClusterRenamed, or no target at cutover's
 * start). A rename that finds a name missing (an earlier attempt of this step renamed it, or someone
 * changed the cluster's instances) falls back to describing the cluster under either name, as an operation
 * restored before the names were recorded always does.
 */
async function renameNewIn(
  rds: RdsPort,
  operation: OperationInfo,
): Promise<{ instances: InstanceRename[]; finalNames: string[] }> {
  const to = operation.target.clusterIdentifier;
  const from = resourceNames(operation.operationId, to).nextCluster;
  const renamesOf = (members: string[]) => {
    const instances = numberedRenames(members, from, to);
    return { instances, finalNames: members.map((m) => instances.find((r) => r.from === m)?.to ?? m) };
  };
  const recorded = recordedNextInstances(operation);
  if (recorded) {
    const renames = renamesOf(recorded);
    try {
      await renameCluster(rds, {
        from,
        to,
        instances: renames.instances,
        known: { under: from, members: recorded },
      });
      return renames;
    } catch (error) {
      if (
        !isAwsCallError(error, "DBInstanceNotFoundFault") &&
        !isAwsCallError(error, "DBClusterNotFoundFault")
      )
        throw error;
    }
  }
  const known = knownOf(await describeEither(rds, from, to));
  const renames = renamesOf(known.members);
  await renameCluster(rds, { from, to, instances: renames.instances, known });
  return renames;
}
