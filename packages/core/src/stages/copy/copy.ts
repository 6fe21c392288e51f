import { CopyCompleted, SnapshotAvailable } from "../../events/domain";
import type { SnapshotRef } from "../../events/shapes";
import { resourceNames } from "../../operation/ids";
import type { PlanTarget } from "../../plan/schema";
import { isAwsCallError } from "../../ports/errors";
import type { AccessScope } from "../../ports/location";
import type { OperationInfo } from "../../storage/operations";
import type { SharedCopyRef } from "../../storage/shared-copy-store";
import { audit } from "../kit/audit";
import { claimStep, isRetryable, planTargetOf, type StageEvent, targetScope } from "../kit/claim";
import type { StageDeps } from "../kit/deps";
import { failOperation } from "../kit/fail";
import { handOff } from "../kit/handoff";
import { pipelineMetrics } from "../kit/metrics";
import { metaFor } from "../kit/publish";
import { runKeyOf } from "../kit/retry-run";
import {
  chooseSharedCopy,
  decodeSharedCopy,
  encodeSharedCopy,
  joinSharedCopy,
  sharedCopyIdentifier,
  sharedCopyKey,
} from "../kit/shared-copies";
import { clusterSnapshotArn } from "../kit/snapshot-refs";
import { addWatch } from "../kit/watches";

/** The target account's own default key, used only for the intermediate snapshot of a two-hop copy. */
export const INTERMEDIATE_KMS_KEY = "alias/aws/rds";

/** Name of the intermediate snapshot of a two-hop copy (target account, source region). */
export function hopSnapshotName(operationId: string, targetClusterIdentifier: string): string {
  return resourceNames(operationId, targetClusterIdentifier).targetSnapshot.replace(/-copy$/, "-hop");
}

type Plan =
  | { kind: "none" }
  | { kind: "single"; source: SnapshotRef }
  | { kind: "hop-1"; source: SnapshotRef }
  | { kind: "hop-2"; source: SnapshotRef };

/**
 * copy (on SnapshotAvailable): bring the snapshot into the target account and region under the target key.
 * - already there under that key, or the target clones: CopyCompleted at once;
 * - otherwise CopyDBClusterSnapshot in the target region (source by ARN; SourceRegion when cross-region);
 * - cross-account AND cross-region with copyMode "two-hop": first into the target account in the source region
 *   (under that account's aws/rds key), then across regions; the watcher reports the first hop with a
 *   SnapshotAvailable naming the intermediate snapshot, which lands here again for the second hop.
 * The watcher reports the final copy with CopyCompleted (RDS has no copy event).
 */
export async function onSnapshotAvailable(
  deps: StageDeps,
  event: StageEvent<typeof SnapshotAvailable>,
): Promise<void> {
  const { detail } = event;
  const current = await deps.store.get(detail.operationId);
  if (
    current?.step === "copying" &&
    current.outputs.hopSnapshotArn !== undefined &&
    detail.snapshot.accountId === current.target.accountId &&
    detail.snapshot.identifier === hopSnapshotName(current.operationId, current.target.clusterIdentifier)
  ) {
    await secondHop(deps, current, event.id, detail.snapshot);
    return;
  }
  if (!current) {
    deps.logger.warn("SnapshotAvailable for an unknown operation", { operationId: detail.operationId });
    return;
  }

  let plan: Plan;
  let target: PlanTarget;
  try {
    ({ target } = await planTargetOf(deps, current));
    plan = await planCopy(deps, target, detail.snapshot);
  } catch (error) {
    if (isRetryable(error)) throw error;
    if (current.step === "snapshot-available") await failOperation(deps, current, "copy", error, event.id);
    return;
  }
  const names = resourceNames(current.operationId, target.clusterIdentifier);
  const scope = targetScope(current);
  const user = runKeyOf(current);
  // A single copy into the target account is shared by every target there with the same key.
  const copyKey = sharedCopyKey({ source: detail.snapshot.arn, ...scope, kmsKeyId: target.kmsKeyId });
  const choice = plan.kind === "single" ? await chooseSharedCopy(deps, copyKey, { user }) : undefined;
  const sharedOutputs = (ref: SharedCopyRef): OperationInfo["outputs"] => ({
    targetSnapshotArn: clusterSnapshotArn(scope, sharedCopyIdentifier(ref, "copy"), detail.snapshot.arn),
    targetCopy: encodeSharedCopy(ref),
    targetCopyUser: user,
  });
  const operation = await claimStep(deps, {
    operationId: current.operationId,
    eventId: event.id,
    from: "snapshot-available",
    to: plan.kind === "none" ? "copy-completed" : "copying",
    stage: "copy",
    action: `copy-${plan.kind}`,
    outputs:
      plan.kind === "none"
        ? { restoreSnapshotArn: detail.snapshot.arn }
        : choice
          ? sharedOutputs(choice.ref)
          : {
              targetSnapshotArn: clusterSnapshotArn(scope, names.targetSnapshot, detail.snapshot.arn),
              ...(plan.kind === "hop-1"
                ? {
                    hopSnapshotArn: clusterSnapshotArn(
                      { accountId: target.accountId, region: detail.snapshot.region },
                      hopSnapshotName(current.operationId, target.clusterIdentifier),
                      detail.snapshot.arn,
                    ),
                  }
                : {}),
            },
  });
  if (!operation) return;
  try {
    if (plan.kind === "none") {
      await handOff(deps, operation, CopyCompleted, {
        ...metaFor(deps, operation, event.id),
        snapshot: detail.snapshot,
      });
      await audit(deps, operation, {
        stage: "copy",
        action: "copy-not-needed",
        outcome: "succeeded",
        eventId: event.id,
        details: { snapshot: detail.snapshot.arn },
      });
      return;
    }
    if (plan.kind === "hop-1") {
      const hopScope = { accountId: target.accountId, region: detail.snapshot.region };
      const hopName = hopSnapshotName(operation.operationId, target.clusterIdentifier);
      await startCopy(deps, operation, event.id, hopScope, {
        source: detail.snapshot,
        name: hopName,
        kmsKeyId: INTERMEDIATE_KMS_KEY,
        watchId: "hop-copy",
        publish: SnapshotAvailable,
      });
      return;
    }
    const claimed = decodeSharedCopy(operation.outputs.targetCopy);
    const sameChoice = claimed && choice && encodeSharedCopy(claimed) === encodeSharedCopy(choice.ref);
    const joined = await joinSharedCopy(deps, operation, {
      copyKey,
      outputKey: "targetCopy",
      scope,
      joiner: { user },
      ...(sameChoice ? { join: choice.join } : {}),
      outputsFor: sharedOutputs,
    });
    if (!joined) {
      await audit(deps, operation, {
        stage: "copy",
        action: "join-target-copy",
        outcome: "ignored-duplicate",
        eventId: event.id,
        details: { reason: "this run already left the shared copy, or another delivery took the step over" },
      });
      return;
    }
    const { ref, item } = joined;
    await startCopy(deps, joined.operation, event.id, scope, {
      source: detail.snapshot,
      name: sharedCopyIdentifier(ref, "copy"),
      kmsKeyId: target.kmsKeyId,
      watchId: "target-copy",
      publish: CopyCompleted,
      // The first operation of a generation requests the copy; the others find it requested.
      shared: { copyKey, requested: item.startedGeneration === ref.generation },
    });
    if (item.startedGeneration !== ref.generation) await deps.store.markCopyStarted(ref);
  } catch (error) {
    if (isRetryable(error)) throw error;
    await failOperation(deps, operation, "copy", error, event.id);
  }
}

async function planCopy(deps: StageDeps, target: PlanTarget, snapshot: SnapshotRef): Promise<Plan> {
  if (target.restoreMethod === "clone") return { kind: "none" };
  const inTarget = snapshot.accountId === target.accountId && snapshot.region === target.region;
  if (inTarget) {
    const scope = targetScope({ target });
    // Events from RDS carry no key: learn it before deciding that a copy is needed.
    const keyOfSnapshot =
      snapshot.kmsKeyId ?? (await deps.rds(scope).describeClusterSnapshot(snapshot.arn)).kmsKeyId;
    if (keyOfSnapshot === target.kmsKeyId) return { kind: "none" };
    if (keyOfSnapshot && (await deps.kms(scope).describeKey(target.kmsKeyId)).arn === keyOfSnapshot) {
      return { kind: "none" };
    }
  }
  const crossBoth = snapshot.accountId !== target.accountId && snapshot.region !== target.region;
  if (crossBoth && target.copyMode === "two-hop") return { kind: "hop-1", source: snapshot };
  return { kind: "single", source: snapshot };
}

/** Second hop: the intermediate copy (target account, source region) across regions under the target key. */
async function secondHop(deps: StageDeps, operation: OperationInfo, eventId: string, hop: SnapshotRef) {
  const watches = await deps.store.watchesOf(operation.operationId);
  if (watches.some((w) => w.watchId === "target-copy")) {
    await audit(deps, operation, {
      stage: "copy",
      action: "copy-hop-2",
      outcome: "ignored-duplicate",
      eventId,
      details: { hop: hop.arn },
    });
    return;
  }
  try {
    const { target } = await planTargetOf(deps, operation);
    const names = resourceNames(operation.operationId, target.clusterIdentifier);
    await startCopy(deps, operation, eventId, targetScope(operation), {
      source: hop,
      name: names.targetSnapshot,
      kmsKeyId: target.kmsKeyId,
      watchId: "target-copy",
      publish: CopyCompleted,
    });
  } catch (error) {
    if (isRetryable(error)) throw error;
    await failOperation(deps, operation, "copy", error, eventId);
  }
}

async function startCopy(
  deps: StageDeps,
  operation: OperationInfo,
  eventId: string,
  scope: AccessScope,
  copy: {
    source: SnapshotRef;
    name: string;
    kmsKeyId: string;
    watchId: string;
    publish: typeof SnapshotAvailable | typeof CopyCompleted;
    /** A copy shared by operations (its key), and whether one of them already requested it. */
    shared?: { copyKey: string; requested: boolean };
  },
): Promise<void> {
  const local = copy.source.accountId === scope.accountId && copy.source.region === scope.region;
  const crossRegion = copy.source.region !== scope.region;
  if (!copy.shared?.requested) {
    try {
      await deps.rds(scope).copyClusterSnapshot({
        // Another account's or region's snapshot is addressed by ARN; the SDK presigns for the source region.
        source: local ? copy.source.identifier : copy.source.arn,
        targetIdentifier: copy.name,
        kmsKeyId: copy.kmsKeyId,
        ...(crossRegion ? { sourceRegion: copy.source.region } : {}),
        copyTags: false,
        tags: copy.shared
          ? { "aurora-restore:shared-copy": copy.shared.copyKey }
          : { "aurora-restore:operation": operation.operationId },
      });
    } catch (error) {
      // A resumed delivery (or another operation sharing it) finds the copy under the deterministic name.
      if (!isAwsCallError(error, "DBClusterSnapshotAlreadyExistsFault")) throw error;
    }
  }
  await addWatch(deps, operation, {
    watchId: copy.watchId,
    kind: "snapshot-copy",
    scope,
    resource: copy.name,
    publish: copy.publish,
    atStep: "copying",
    ...(copy.publish === CopyCompleted ? { advanceTo: "copy-completed" as const } : {}),
  });
  await audit(deps, operation, {
    stage: "copy",
    action: copy.watchId === "hop-copy" ? "copy-hop-1" : "copy-to-target",
    outcome: "started",
    eventId,
    details: {
      source: copy.source.arn,
      copy: copy.name,
      destination: `${scope.accountId}/${scope.region}`,
      kmsKeyId: copy.kmsKeyId,
      crossRegion,
    },
  });
  deps.metrics.count(pipelineMetrics.snapshotCopiesStarted, 1, { crossRegion: String(crossRegion) });
}
