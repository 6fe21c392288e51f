import { type RestoreRequested, SnapshotAvailable, SourceSnapshotCopied } from "../../events/domain";
import type { SnapshotRef, SnapshotState } from "../../events/shapes";
import { resourceNames } from "../../operation/ids";
import type { OperationStep } from "../../operation/steps";
import type { Plan, PlanTarget } from "../../plan/schema";
import { isAwsCallError } from "../../ports/errors";
import type { OperationInfo } from "../../storage/operations";
import { loadAt } from "../kit/advance";
import { audit } from "../kit/audit";
import { claimStep, isRetryable, planTargetOf, type StageEvent } from "../kit/claim";
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
  SNAPSHOT_SHARE_ACCOUNT_LIMIT,
  sharedCopyIdentifier,
  sharedCopyKey,
  sharedCopyUserOutput,
} from "../kit/shared-copies";
import {
  clusterSnapshotArn,
  snapshotIdentifierOfArn,
  snapshotRefOf,
  sourceScope,
} from "../kit/snapshot-refs";
import { startWatch } from "../kit/watches";

/** The source snapshot cannot be made shareable with the plan as written. */
export class SnapshotNotShareableError extends Error {
  override name = "SnapshotNotShareableError";
  readonly code = "SnapshotNotShareable";
}

type Decision =
  | { kind: "pass-through"; snapshot: SnapshotRef }
  | {
      kind: "copy";
      source: SnapshotRef & { type: string };
      /** The shared copy's generation this operation would use (one copy for every target of the snapshot). */
      choice: SharedCopyChoice;
      kmsKeyId?: string;
    };

/** The operation's outputs that name the shareable copy it uses (one generation of a shared copy). */
function shareableOutputs(
  plan: Plan,
  run: { operationId: string; user: string },
  ref: SharedCopyChoice["ref"],
  partitionOf: string,
): OperationInfo["outputs"] {
  return {
    shareableSnapshotArn: clusterSnapshotArn(
      sourceScope(plan),
      sharedCopyIdentifier(ref, "share"),
      partitionOf,
    ),
    shareableCopy: encodeSharedCopy(ref),
    ...sharedCopyUserOutput(run.operationId, "shareableCopyUser", run.user),
  };
}

const steps: Record<Decision["kind"], OperationStep> = {
  "pass-through": "snapshot-available",
  copy: "preparing-snapshot",
};

/**
 * prepare (on RestoreRequested): make the source snapshot usable by the target account.
 * - target in the source's account: nothing to share (copy handles a region change) -> SnapshotAvailable;
 * - otherwise (automated, manual, under any key): copy it to the pipeline's own manual snapshot under
 *   plan.source.shareableKmsKeyId (or the snapshot's own customer key) in the source account; the watcher
 *   then reports SourceSnapshotCopied and only that copy is shared. The attributes of a snapshot the
 *   pipeline did not create are never changed: a person's manual snapshot (0075) is not shared, and the
 *   target account never needs production's own key.
 * Deciding only reads; the conditional transition comes before the first change.
 */
export async function onRestoreRequested(
  deps: StageDeps,
  event: StageEvent<typeof RestoreRequested>,
): Promise<void> {
  const { detail } = event;
  // A late duplicate or a replay, for an operation past what prepare claims, is recorded as ignored before
  // anything is read from AWS.
  const context = { stage: "prepare" as const, action: "prepare", eventId: event.id };
  const loaded = await loadAt(deps, detail.operationId, ["requested", ...Object.values(steps)], context);
  if (!loaded) return;
  let decision: Decision;
  let plan: Plan;
  try {
    ({ plan } = await planTargetOf(deps, detail));
    decision = await decide(deps, detail, plan);
  } catch (error) {
    if (isRetryable(error)) throw error;
    // Fail only an operation still waiting for prepare: a late duplicate must not fail a healthy one.
    const operation = await deps.store.get(detail.operationId);
    if (operation?.step === "requested") await failOperation(deps, operation, "prepare", error, event.id);
    else
      deps.logger.warn("prepare could not decide for an operation that moved on", { step: operation?.step });
    return;
  }
  const operation = await claimStep(deps, {
    operationId: detail.operationId,
    eventId: event.id,
    from: "requested",
    to: steps[decision.kind],
    stage: "prepare",
    action: `prepare-${decision.kind}`,
    outputs:
      decision.kind === "copy"
        ? shareableOutputs(
            plan,
            { operationId: loaded.operationId, user: runKeyOf(loaded) },
            decision.choice.ref,
            decision.source.arn,
          )
        : {},
  });
  if (!operation) return;
  try {
    if (decision.kind === "pass-through") await announce(deps, operation, event.id, decision.snapshot, []);
    else await copyToShareable(deps, operation, event.id, plan, decision);
  } catch (error) {
    if (isRetryable(error)) throw error;
    await failOperation(deps, operation, "prepare", error, event.id);
  }
}

/** prepare (on SourceSnapshotCopied): share the shareable copy with the target account -> SnapshotAvailable. */
export async function onSourceSnapshotCopied(
  deps: StageDeps,
  event: StageEvent<typeof SourceSnapshotCopied>,
): Promise<void> {
  const operation = await claimStep(deps, {
    operationId: event.detail.operationId,
    eventId: event.id,
    from: "preparing-snapshot",
    to: "snapshot-available",
    stage: "prepare",
    action: "share-shareable-copy",
  });
  if (!operation) return;
  try {
    const { plan, target } = await planTargetOf(deps, operation);
    const expected =
      shareableCopyOf(operation) ??
      resourceNames(operation.operationId, target.clusterIdentifier).shareableSnapshot;
    if (event.detail.snapshot.identifier !== expected) {
      throw new SnapshotNotShareableError(
        `SourceSnapshotCopied names ${event.detail.snapshot.identifier}, but this operation's shareable copy is ${expected}.`,
      );
    }
    await shareAndAnnounce(deps, operation, event.id, plan, target, event.detail.snapshot);
  } catch (error) {
    if (isRetryable(error)) throw error;
    await failOperation(deps, operation, "prepare", error, event.id);
  }
}

async function decide(
  deps: StageDeps,
  detail: StageEvent<typeof RestoreRequested>["detail"],
  plan: Plan,
): Promise<Decision> {
  const requested = snapshotRefOf(detail.sourceSnapshot);
  if (requested.accountId === detail.target.accountId) return { kind: "pass-through", snapshot: requested };

  const scope = sourceScope(plan);
  const snapshot = await sourceSnapshotOf(deps, detail, plan);
  if (snapshot.status !== "available") {
    throw new SnapshotNotShareableError(
      `Source snapshot ${snapshot.identifier} is ${snapshot.status}, not available; restore again once it is.`,
    );
  }
  const defaultKey = snapshot.kmsKeyId
    ? (await deps.kms(scope).describeKey(snapshot.kmsKeyId)).keyManager === "AWS"
    : false;

  // A copy under the same customer key is shareable too; one under the default key never is.
  const kmsKeyId = plan.source.shareableKmsKeyId ?? (defaultKey ? undefined : snapshot.kmsKeyId);
  if (snapshot.encrypted && !kmsKeyId) {
    throw new SnapshotNotShareableError(
      `Source snapshot ${snapshot.identifier} is encrypted with the default aws/rds key, which cannot be shared with ` +
        `another account. Set source.shareableKmsKeyId in plan ${plan.id} to a customer managed key of account ` +
        `${plan.source.accountId} in ${plan.source.region} whose key policy lets account ${detail.target.accountId} use it.`,
    );
  }
  if (plan.source.shareableKmsKeyId) {
    const key = await deps.kms(scope).describeKey(plan.source.shareableKmsKeyId);
    if (key.keyManager === "AWS" || !key.enabled) {
      throw new SnapshotNotShareableError(
        `source.shareableKmsKeyId of plan ${plan.id} is ${key.enabled ? "an AWS managed key" : "disabled"}: ` +
          "use an enabled customer managed key (snapshots under AWS managed keys cannot be shared).",
      );
    }
  }
  // The key's ARN names it in the copy's identity (a plan may name it by alias, id or ARN).
  const keyArn = plan.source.shareableKmsKeyId
    ? (await deps.kms(scope).describeKey(plan.source.shareableKmsKeyId)).arn
    : kmsKeyId;
  const copyKey = sharedCopyKey({ source: snapshot.arn, ...scope, kmsKeyId: keyArn });
  return {
    kind: "copy",
    source: { ...snapshotRefOf(snapshot), type: snapshot.type },
    choice: await chooseSharedCopy(deps, copyKey, shareJoiner(detail.target.accountId, "")),
    ...(kmsKeyId ? { kmsKeyId } : {}),
  };
}

/**
 * The source snapshot's facts: from RestoreRequested when its producer described or listed the snapshot
 * (the trigger did, a moment before), else described here (an automated snapshot the trigger knew by name,
 * an event from before RestoreRequested carried them).
 */
async function sourceSnapshotOf(
  deps: StageDeps,
  detail: StageEvent<typeof RestoreRequested>["detail"],
  plan: Plan,
): Promise<SnapshotRef & SnapshotState & { type: string }> {
  const { sourceSnapshot, sourceSnapshotState } = detail;
  if (sourceSnapshotState) return { ...sourceSnapshot, ...sourceSnapshotState };
  return deps.rds(sourceScope(plan)).describeClusterSnapshot(sourceSnapshot.arn);
}

/** Who joins a shareable copy: the run, and the target account it is shared with (20 accounts at most). */
function shareJoiner(accountId: string, user: string, roleArn?: string) {
  return {
    user,
    account: accountId,
    maxAccounts: SNAPSHOT_SHARE_ACCOUNT_LIMIT,
    ...(roleArn ? { roleArn } : {}),
  };
}

/** The identifier of the shareable copy the operation's outputs name (undefined before any). */
function shareableCopyOf(operation: OperationInfo): string | undefined {
  const arn = operation.outputs.shareableSnapshotArn;
  return typeof arn === "string" ? snapshotIdentifierOfArn(arn) : undefined;
}

async function copyToShareable(
  deps: StageDeps,
  operation: OperationInfo,
  eventId: string,
  plan: Plan,
  decision: Extract<Decision, { kind: "copy" }>,
): Promise<void> {
  const scope = sourceScope(plan);
  const user = runKeyOf(operation);
  const claimed = decodeSharedCopy(operation.outputs.shareableCopy);
  const sameChoice =
    claimed !== undefined && encodeSharedCopy(claimed) === encodeSharedCopy(decision.choice.ref);
  const joined = await joinSharedCopy(deps, operation, {
    copyKey: decision.choice.ref.copyKey,
    outputKey: "shareableCopy",
    scope,
    suffix: "share",
    joiner: shareJoiner(operation.target.accountId, user, scope.roleArn),
    ...(sameChoice ? { choice: decision.choice } : {}),
    outputsFor: (ref) =>
      shareableOutputs(plan, { operationId: operation.operationId, user }, ref, decision.source.arn),
  });
  if (!joined) {
    await audit(deps, operation, {
      stage: "prepare",
      action: "join-shareable-copy",
      outcome: "ignored-duplicate",
      eventId,
      details: { reason: "this run already left the shared copy, or another delivery took the step over" },
    });
    return;
  }
  const { ref, item } = joined;
  const copyName = sharedCopyIdentifier(ref, "share");
  // The first operation of a generation requests the copy; the others find it requested.
  if (item.startedGeneration !== ref.generation) {
    try {
      await deps.rds(scope).copyClusterSnapshot({
        source: decision.source.identifier,
        targetIdentifier: copyName,
        ...(decision.kmsKeyId ? { kmsKeyId: decision.kmsKeyId } : {}),
        tags: { "aurora-restore:shared-copy": ref.copyKey },
      });
    } catch (error) {
      // Another operation (or an earlier delivery) requested it under the same name.
      if (!isAwsCallError(error, "DBClusterSnapshotAlreadyExistsFault")) throw error;
    }
    await deps.store.markCopyStarted(ref);
  }
  const waiting = await startWatch(deps, joined.operation, {
    watchId: "source-shareable-copy",
    kind: "snapshot-copy",
    scope,
    resource: copyName,
    publish: SourceSnapshotCopied,
    atStep: "preparing-snapshot",
  });
  if (!waiting) return;
  await audit(deps, waiting, {
    stage: "prepare",
    action: "copy-to-shareable-snapshot",
    outcome: "started",
    eventId,
    details: {
      source: decision.source.arn,
      copy: joined.operation.outputs.shareableSnapshotArn,
      shared: { lane: ref.lane, generation: ref.generation, users: item.users?.length ?? 0 },
      kmsKeyId: decision.kmsKeyId,
      reason:
        decision.source.type === "automated"
          ? "automated snapshots cannot be shared"
          : "only the pipeline's own copy is shared: the source snapshot's attributes are never changed",
    },
  });
  deps.logger.info("Copying the source snapshot to a shareable manual snapshot", {
    copy: joined.operation.outputs.shareableSnapshotArn,
  });
}

async function shareAndAnnounce(
  deps: StageDeps,
  operation: OperationInfo,
  eventId: string,
  plan: Plan,
  target: PlanTarget,
  snapshot: SnapshotRef,
): Promise<void> {
  // The handoff is recorded after the share: a resumed delivery that finds it (the earlier one's publish
  // failed, say) only announces again. Cut short between the share and that record, the share is repeated,
  // which is harmless (adding an account that is already there changes nothing).
  const { handoff } = operation;
  const shared = handoff?.step === operation.step && handoff.detailType === SnapshotAvailable.detailType;
  if (!shared) {
    await deps.rds(sourceScope(plan)).shareClusterSnapshot({
      snapshotIdentifier: snapshot.identifier,
      accountIds: [target.accountId],
    });
    await audit(deps, operation, {
      stage: "prepare",
      action: "share-snapshot",
      outcome: "succeeded",
      eventId,
      details: { snapshot: snapshot.arn, sharedWith: [target.accountId] },
    });
  }
  await announce(deps, operation, eventId, snapshot, [target.accountId]);
}

async function announce(
  deps: StageDeps,
  operation: OperationInfo,
  eventId: string,
  snapshot: SnapshotRef,
  sharedWith: string[],
): Promise<void> {
  await handOff(deps, operation, SnapshotAvailable, {
    ...metaFor(deps, operation, eventId),
    snapshot,
    sharedWith,
  });
  await audit(deps, operation, {
    stage: "prepare",
    action: "snapshot-available",
    outcome: "succeeded",
    eventId,
    details: { snapshot: snapshot.arn, sharedWith },
  });
  deps.metrics.count(pipelineMetrics.snapshotsPrepared, 1, { shared: String(sharedWith.length > 0) });
}
