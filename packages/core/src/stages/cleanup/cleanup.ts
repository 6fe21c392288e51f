import { parseArn } from "../../events/arn";
import type { RestoreCompleted, RestoreFailed } from "../../events/domain";
import { resourceNames, targetKeyOf } from "../../operation/ids";
import { terminalSteps } from "../../operation/steps";
import type { Plan } from "../../plan/schema";
import { isAwsCallError } from "../../ports/errors";
import type { AccessScope } from "../../ports/location";
import type { OperationInfo } from "../../storage/operations";
import { hopSnapshotName } from "../copy/copy";
import { audit } from "../kit/audit";
import { claimOf, isRetryable, once, type StageEvent, targetScope } from "../kit/claim";
import { deleteClusterWithInstances } from "../kit/cluster-swap";
import { discardPendingCredentials } from "../kit/credentials";
import type { StageDeps } from "../kit/deps";
import { errorCodeOf, errorMessageOf } from "../kit/errors";
import { effectOfRun } from "../kit/retry-run";
import { releaseSharedCopy } from "../kit/shared-copies";
import { sourceScope } from "../kit/snapshot-refs";
import { keepFailedResources } from "./keep-failed-resources";

type CleanupEvent = StageEvent<typeof RestoreCompleted> | StageEvent<typeof RestoreFailed>;

/** cleanup on RestoreCompleted and on RestoreFailed: the same clean-up either way (cleanUp, below). */
export const onRestoreCompleted: (
  deps: StageDeps,
  event: StageEvent<typeof RestoreCompleted>,
) => Promise<void> = cleanUp;
export const onRestoreFailed: (deps: StageDeps, event: StageEvent<typeof RestoreFailed>) => Promise<void> =
  cleanUp;

/**
 * cleanup (on RestoreCompleted / RestoreFailed): deletes the intermediate snapshots the operation made
 * (its deterministic names: the shareable copy in the source account, the copy in the target account;
 * never the source snapshot itself) unless the plan keeps them, retries deleting a replaced cluster that
 * cutover could not delete, discards the credentials a failed operation staged (AWSPENDING) in the target's
 * secrets, and releases the target lock if this operation still holds it.
 */
async function cleanUp(deps: StageDeps, event: CleanupEvent): Promise<void> {
  const { operationId } = event.detail;
  const operation = await deps.store.get(operationId);
  if (!operation) {
    deps.logger.warn("Cleanup for an unknown operation", { operationId, eventId: event.id });
    return;
  }
  const context = { stage: "cleanup" as const, eventId: event.id };
  const ignore = (reason: string) =>
    audit(deps, operation, {
      ...context,
      action: "cleanup",
      outcome: "ignored-duplicate",
      details: { step: operation.step, reason },
    });
  if (!terminalSteps.has(operation.step)) return ignore("the operation has not ended");
  // Once per operation, whichever delivery (duplicate, replay, republished event) comes first.
  const { ran, state } = await once(deps, operationId, effectOfRun(operation, "cleanup"), () =>
    cleanUpEnded(deps, operation, context),
  );
  if (!ran) {
    await ignore(state === "completed" ? "already cleaned up" : "another delivery is cleaning up");
  }
}

async function cleanUpEnded(
  deps: StageDeps,
  operation: OperationInfo,
  context: { stage: "cleanup"; eventId: string },
): Promise<void> {
  const { operationId } = operation;
  const step = (action: string, outcome: "succeeded" | "failed", details: Record<string, unknown>) =>
    audit(deps, operation, { ...context, action, outcome, details });

  const plan = await deps.plans.get(operation.planId).catch(() => undefined);
  const names = resourceNames(operationId, operation.target.clusterIdentifier);
  let failures = 0;

  const kept = await keepFailedResources(deps, operation, plan, step);
  const keepSnapshots = plan?.retention.keepIntermediateSnapshots === true;
  // The copies the operation shared with others: it leaves them, and the last to leave deletes them.
  const shared = [
    { outputKey: "shareableCopy", userKey: "shareableCopyUser", suffix: "share" as const },
    { outputKey: "hopCopy", userKey: "hopCopyUser", suffix: "hop" as const },
    ...(kept?.targetSnapshot
      ? []
      : [{ outputKey: "targetCopy", userKey: "targetCopyUser", suffix: "copy" as const }]),
  ];
  for (const copy of shared) {
    const released = await releaseSharedCopy(deps, operation, { ...copy, keep: keepSnapshots });
    if (!released) continue;
    failures += released.failures.length;
    const { failures: failed, ...details } = released;
    await step("leave-shared-copy", failed.length === 0 ? "succeeded" : "failed", {
      ...details,
      ...(failed.length > 0
        ? {
            failed: failed.map((f) => ({
              ...f,
              message: `${f.message} Delete it by hand (manual snapshots count against the quota of 100 per region).`,
            })),
          }
        : {}),
    });
  }
  // Operations started before copies were shared made their own, under names derived from their id.
  const ownCopies = (key: string) => typeof operation.outputs[key] !== "string";
  const snapshots: { scope: AccessScope; identifier: string }[] = [
    ...(plan && ownCopies("shareableCopy")
      ? [{ scope: sourceScope(plan), identifier: names.shareableSnapshot }]
      : []),
    ...(kept?.targetSnapshot || !ownCopies("targetCopy")
      ? []
      : [{ scope: targetScope(operation), identifier: names.targetSnapshot }]),
    // The two-hop copy's first hop (target account, source region): unmasked production data.
    ...(typeof operation.outputs.hopSnapshotArn === "string" && ownCopies("hopCopy")
      ? [
          {
            scope: scopeOfArn(operation.outputs.hopSnapshotArn),
            identifier: hopSnapshotName(operationId, operation.target.clusterIdentifier),
          },
        ]
      : []),
  ];
  if (keepSnapshots) {
    await step("keep-snapshots", "succeeded", { snapshots: snapshots.map((s) => s.identifier) });
  } else {
    for (const { scope, identifier } of snapshots) {
      try {
        await deps.rds(scope).deleteClusterSnapshot(identifier);
        await step("delete-snapshot", "succeeded", { snapshot: identifier, accountId: scope.accountId });
      } catch (error) {
        if (isAwsCallError(error, "DBClusterSnapshotNotFoundFault")) {
          await step("delete-snapshot", "succeeded", { snapshot: identifier, result: "already-gone" });
          continue;
        }
        if (isRetryable(error)) throw error;
        failures += 1;
        await step("delete-snapshot", "failed", {
          snapshot: identifier,
          code: errorCodeOf(error),
          message: `${errorMessageOf(error)} Delete it by hand (manual snapshots count against the quota of 100 per region).`,
        });
      }
    }
  }

  const replaced = operation.outputs.replacedClusterIdentifier;
  if (
    operation.step === "completed" &&
    typeof replaced === "string" &&
    operation.outputs.oldClusterDeleted !== true
  ) {
    // The final snapshot the plan asks for is never skipped, on this retry either.
    const finalSnapshot = plannedTarget(plan, operation)?.finalSnapshotOnDelete
      ? `${replaced}-final`
      : undefined;
    try {
      const result = await deleteClusterWithInstances(
        deps.rds(targetScope(operation)),
        replaced,
        finalSnapshot,
      );
      await step("delete-old-cluster", "succeeded", { clusterIdentifier: replaced, result, finalSnapshot });
    } catch (error) {
      if (isRetryable(error)) throw error;
      failures += 1;
      await step("delete-old-cluster", "failed", {
        clusterIdentifier: replaced,
        code: errorCodeOf(error),
        message: `${errorMessageOf(error)} Delete the replaced cluster ${replaced} by hand.`,
      });
    }
  }

  const targetKey = targetKeyOf(operation.target);
  if (operation.step === "failed") {
    if (!kept?.nextCluster) failures += await deleteRestoredCluster(deps, operation, step);
    failures += await discardPendingSecrets(deps, operation, plan, step);
  }

  if ((await deps.store.lockHolder(targetKey)) === operationId) {
    await deps.store.releaseLock(targetKey, operationId);
    await step("release-lock", "succeeded", { targetKey });
  }
  await step("cleanup", failures === 0 ? "succeeded" : "failed", { failures });
}

function plannedTarget(plan: Plan | undefined, operation: Pick<OperationInfo, "target">) {
  const { target } = operation;
  return plan?.targets.find(
    (t) =>
      t.accountId === target.accountId &&
      t.region === target.region &&
      t.clusterIdentifier === target.clusterIdentifier,
  );
}

function scopeOfArn(arn: string): AccessScope {
  const { region = "", accountId = "" } = parseArn(arn) ?? {};
  return { accountId, region };
}

/**
 * A failed operation removes the `-next` cluster it restored, so the next refresh of the target is not
 * blocked by it (restore refuses a `-next` older than its operation). Only a cluster this operation created
 * (created after the operation started) and only while it does not carry the target's name.
 */
export async function deleteRestoredCluster(
  deps: StageDeps,
  operation: OperationInfo,
  step: (action: string, outcome: "succeeded" | "failed", details: Record<string, unknown>) => Promise<void>,
): Promise<number> {
  if (typeof operation.outputs.nextClusterId !== "string") return 0;
  if (claimOf(operation, "new-moved-in") !== undefined) return 0;
  const rds = deps.rds(targetScope(operation));
  const name = resourceNames(operation.operationId, operation.target.clusterIdentifier).nextCluster;
  try {
    const cluster = await rds.describeCluster(name);
    if (cluster.createdAt && cluster.createdAt < operation.createdAt) {
      await step("keep-next-cluster", "succeeded", {
        clusterIdentifier: name,
        reason: "created before this operation started: not this operation's",
      });
      return 0;
    }
    const result = await deleteClusterWithInstances(rds, name);
    await step("delete-next-cluster", "succeeded", { clusterIdentifier: name, result });
    return 0;
  } catch (error) {
    if (isAwsCallError(error, "DBClusterNotFoundFault")) return 0;
    if (isRetryable(error)) throw error;
    await step("delete-next-cluster", "failed", {
      clusterIdentifier: name,
      code: errorCodeOf(error),
      message: `${errorMessageOf(error)} Delete ${name} by hand (its instances first) before the next refresh.`,
    });
    return 1;
  }
}

/**
 * A failed operation never touched AWSCURRENT of the target's secrets (the target kept working); the new
 * credentials configure staged as AWSPENDING are removed so the next refresh starts clean. Kept when the
 * restored cluster already carries the target name (they are its credentials: cutover failed while
 * promoting them) or when another operation holds the target now (the pending versions may be its own).
 */
async function discardPendingSecrets(
  deps: StageDeps,
  operation: OperationInfo,
  plan: Plan | undefined,
  step: (action: string, outcome: "succeeded" | "failed", details: Record<string, unknown>) => Promise<void>,
): Promise<number> {
  const { target } = operation;
  const planned = plannedTarget(plan, operation);
  const secretIds = planned
    ? [planned.masterSecretName, ...planned.applicationUsers.map((u) => u.secretName)]
    : [
        operation.outputs.masterSecretArn,
        ...((operation.outputs.applicationSecretArns ?? []) as string[]),
      ].filter((id): id is string => typeof id === "string");
  if (secretIds.length === 0) return 0;
  if (claimOf(operation, "new-moved-in") !== undefined) {
    await step("keep-pending-secrets", "succeeded", {
      secrets: secretIds,
      reason: `${target.clusterIdentifier} is the restored cluster; its credentials are the AWSPENDING versions`,
    });
    return 0;
  }
  const holder = await deps.store.lockHolder(targetKeyOf(target));
  if (holder !== undefined && holder !== operation.operationId) {
    await step("keep-pending-secrets", "succeeded", {
      secrets: secretIds,
      reason: `operation ${holder} now refreshes ${target.clusterIdentifier}; its pending credentials stay`,
    });
    return 0;
  }
  const secrets = deps.secrets(targetScope(operation));
  let failures = 0;
  for (const secretId of secretIds) {
    try {
      const versionId = await discardPendingCredentials(secrets, secretId);
      await step("discard-pending-secret", "succeeded", {
        secretId,
        ...(versionId === undefined ? { result: "none-pending" } : { versionId }),
      });
    } catch (error) {
      if (isRetryable(error)) throw error;
      failures += 1;
      await step("discard-pending-secret", "failed", {
        secretId,
        code: errorCodeOf(error),
        message: `${errorMessageOf(error)} Remove the AWSPENDING label by hand: aws secretsmanager update-secret-version-stage --secret-id ${secretId} --version-stage AWSPENDING --remove-from-version-id <the version describe-secret lists with it>.`,
      });
    }
  }
  return failures;
}
