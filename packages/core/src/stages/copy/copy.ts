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
  type SharedCopyChoice,
  sharedCopyIdentifier,
  sharedCopyKey,
  sharedCopyUserOf,
  sharedCopyUserOutput,
} from "../kit/shared-copies";
import { clusterSnapshotArn, snapshotIdentifierOfArn } from "../kit/snapshot-refs";
import { startWatch } from "../kit/watches";

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
    typeof current.outputs.hopSnapshotArn === "string" &&
    detail.snapshot.accountId === current.target.accountId &&
    detail.snapshot.identifier === snapshotIdentifierOfArn(current.outputs.hopSnapshotArn)
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
  const scope = targetScope(current);
  const user = runKeyOf(current);
  // Each copy into the target account is shared by every target there that needs the same one.
  const copy: SharedTargetCopy | undefined =
    plan.kind === "hop-1"
      ? {
          kind: "hop",
          source: detail.snapshot,
          scope: { accountId: target.accountId, region: detail.snapshot.region },
          kmsKeyId: INTERMEDIATE_KMS_KEY,
        }
      : plan.kind === "single"
        ? { kind: "target", source: detail.snapshot, scope, kmsKeyId: target.kmsKeyId }
        : undefined;
  const choice = copy ? await chooseSharedCopy(deps, copyKeyOf(copy), { user }) : undefined;
  const operation = await claimStep(deps, {
    operationId: current.operationId,
    eventId: event.id,
    from: "snapshot-available",
    to: plan.kind === "none" ? "copy-completed" : "copying",
    stage: "copy",
    action: `copy-${plan.kind}`,
    outputs:
      copy && choice
        ? sharedCopyOutputs(copy, { operationId: current.operationId, user })(choice.ref)
        : { restoreSnapshotArn: detail.snapshot.arn },
  });
  if (!operation) return;
  try {
    if (!copy) {
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
    await copyShared(deps, operation, event.id, copy, { user, choice });
  } catch (error) {
    if (isRetryable(error)) throw error;
    await failOperation(deps, operation, "copy", error, event.id);
  }
}

/** A copy into the target account: the two-hop copy's intermediate one, or the one restore uses. */
interface SharedTargetCopy {
  kind: "hop" | "target";
  source: SnapshotRef;
  scope: AccessScope;
  kmsKeyId: string;
}

/** Where an operation records the shared copy it uses, per kind (the ARN, the generation, the run). */
const outputNames = {
  hop: { arn: "hopSnapshotArn", ref: "hopCopy", user: "hopCopyUser", suffix: "hop" },
  target: { arn: "targetSnapshotArn", ref: "targetCopy", user: "targetCopyUser", suffix: "copy" },
} as const;

function copyKeyOf(copy: SharedTargetCopy): string {
  return sharedCopyKey({ source: copy.source.arn, ...copy.scope, kmsKeyId: copy.kmsKeyId });
}

function sharedCopyOutputs(copy: SharedTargetCopy, run: { operationId: string; user: string }) {
  const names = outputNames[copy.kind];
  return (ref: SharedCopyRef): OperationInfo["outputs"] => ({
    [names.arn]: clusterSnapshotArn(copy.scope, sharedCopyIdentifier(ref, names.suffix), copy.source.arn),
    [names.ref]: encodeSharedCopy(ref),
    ...sharedCopyUserOutput(run.operationId, names.user, run.user),
  });
}

/** Joins the shared copy the operation recorded, requests it if no operation did yet, and watches it. */
async function copyShared(
  deps: StageDeps,
  operation: OperationInfo,
  eventId: string,
  copy: SharedTargetCopy,
  how: { user: string; choice?: SharedCopyChoice | undefined },
): Promise<void> {
  const names = outputNames[copy.kind];
  const copyKey = copyKeyOf(copy);
  const recorded = decodeSharedCopy(operation.outputs[names.ref]);
  const sameChoice =
    recorded !== undefined && how.choice && encodeSharedCopy(recorded) === encodeSharedCopy(how.choice.ref);
  const joined = await joinSharedCopy(deps, operation, {
    copyKey,
    outputKey: names.ref,
    scope: copy.scope,
    suffix: names.suffix,
    joiner: { user: how.user },
    ...(sameChoice && how.choice ? { choice: how.choice } : {}),
    outputsFor: sharedCopyOutputs(copy, { operationId: operation.operationId, user: how.user }),
  });
  if (!joined) {
    await audit(deps, operation, {
      stage: "copy",
      action: `join-${copy.kind}-copy`,
      outcome: "ignored-duplicate",
      eventId,
      details: { reason: "this run already left the shared copy, or another delivery moved the operation" },
    });
    return;
  }
  const { ref, item } = joined;
  const hop = copy.kind === "hop";
  await startCopy(deps, joined.operation, eventId, copy.scope, {
    source: copy.source,
    name: sharedCopyIdentifier(ref, names.suffix),
    kmsKeyId: copy.kmsKeyId,
    watchId: hop ? "hop-copy" : "target-copy",
    publish: hop ? SnapshotAvailable : CopyCompleted,
    // The first operation of a generation requests the copy; the others find it requested.
    shared: { copyKey, requested: item.startedGeneration === ref.generation },
  });
  if (item.startedGeneration !== ref.generation) await deps.store.markCopyStarted(ref);
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
  if (operation.watch?.watchId === "target-copy") {
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
    const user = runKeyOf(operation);
    const copy: SharedTargetCopy = {
      kind: "target",
      source: hop,
      scope: targetScope(operation),
      kmsKeyId: target.kmsKeyId,
    };
    const recorded = decodeSharedCopy(operation.outputs.targetCopy);
    const recordedUser = sharedCopyUserOf(operation, "targetCopy", "targetCopyUser");
    if (recorded?.copyKey === copyKeyOf(copy) && recordedUser === user) {
      // A duplicate or resumed delivery: this run already chose; join what it recorded.
      await copyShared(deps, operation, eventId, copy, { user });
      return;
    }
    const choice = await chooseSharedCopy(deps, copyKeyOf(copy), { user });
    // Recorded first, conditional on the version: of two concurrent deliveries only one records and joins.
    const current = await deps.store.recordOutputs(
      operation,
      sharedCopyOutputs(copy, { operationId: operation.operationId, user })(choice.ref),
    );
    if (!current) {
      await audit(deps, operation, {
        stage: "copy",
        action: "copy-hop-2",
        outcome: "ignored-duplicate",
        eventId,
        details: { hop: hop.arn, reason: "another delivery of the hop's event started the second hop" },
      });
      return;
    }
    await copyShared(deps, current, eventId, copy, { user, choice });
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
  const waiting = await startWatch(deps, operation, {
    watchId: copy.watchId,
    kind: "snapshot-copy",
    scope,
    resource: copy.name,
    publish: copy.publish,
    atStep: "copying",
    ...(copy.publish === CopyCompleted ? { advanceTo: "copy-completed" as const } : {}),
  });
  if (!waiting) return;
  await audit(deps, waiting, {
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
