import type { RestoreCompleted, RestoreFailed } from "../events/domain";
import { resourceNames, targetKeyOf } from "../operation/ids";
import { terminalSteps } from "../operation/steps";
import type { Plan } from "../plan/schema";
import { isAwsCallError } from "../ports/errors";
import type { AccessScope } from "../ports/location";
import type { OperationInfo } from "../storage/operations";
import { alreadyAudited, claimKey, isRetryable, type StageEvent, targetScope } from "./claim";
import { deleteClusterWithInstances } from "./cluster-swap";
import { discardPendingCredentials } from "./credentials";
import type { StageDeps } from "./deps";
import { audit, errorCodeOf, errorMessageOf } from "./kit";
import { sourceScope } from "./snapshot-refs";

export type CleanupEvent =
  | (StageEvent<typeof RestoreCompleted> & { detailType: typeof RestoreCompleted.detailType })
  | (StageEvent<typeof RestoreFailed> & { detailType: typeof RestoreFailed.detailType });

/**
 * cleanup (on RestoreCompleted / RestoreFailed): deletes the intermediate snapshots the operation made
 * (its deterministic names: the shareable copy in the source account, the copy in the target account;
 * never the source snapshot itself) unless the plan keeps them, retries deleting a replaced cluster that
 * cutover could not delete, discards the credentials a failed operation staged (AWSPENDING) in the target's
 * secrets, and releases the target lock if this operation still holds it.
 */
export async function cleanUp(deps: StageDeps, event: CleanupEvent): Promise<void> {
  const { operationId } = event.detail;
  const operation = await deps.store.get(operationId);
  if (!operation) {
    deps.logger.warn("Cleanup for an unknown operation", { operationId, eventId: event.id });
    return;
  }
  const context = { stage: "cleanup" as const, eventId: event.id };
  if (
    !terminalSteps.has(operation.step) ||
    (await alreadyAudited(deps, operationId, { eventId: event.id, action: "cleanup", outcome: "succeeded" }))
  ) {
    await audit(deps, operation, {
      ...context,
      action: "cleanup",
      outcome: "ignored-duplicate",
      details: { step: operation.step },
    });
    return;
  }
  const step = (action: string, outcome: "succeeded" | "failed", details: Record<string, unknown>) =>
    audit(deps, operation, { ...context, action, outcome, details });

  const plan = await deps.plans.get(operation.planId).catch(() => undefined);
  const names = resourceNames(operationId, operation.target.clusterIdentifier);
  let failures = 0;

  const snapshots: { scope: AccessScope; identifier: string }[] = [
    ...(plan ? [{ scope: sourceScope(plan), identifier: names.shareableSnapshot }] : []),
    { scope: targetScope(operation), identifier: names.targetSnapshot },
  ];
  if (plan?.retention.keepIntermediateSnapshots) {
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
    try {
      const result = await deleteClusterWithInstances(deps.rds(targetScope(operation)), replaced);
      await step("delete-old-cluster", "succeeded", { clusterIdentifier: replaced, result });
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
    failures += await discardPendingSecrets(deps, operation, plan, step);
  }

  if ((await deps.store.lockHolder(targetKey)) === operationId) {
    await deps.store.releaseLock(targetKey, operationId);
    await step("release-lock", "succeeded", { targetKey });
  }
  await step("cleanup", failures === 0 ? "succeeded" : "failed", { failures });
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
  const planned = plan?.targets.find(
    (t) =>
      t.accountId === target.accountId &&
      t.region === target.region &&
      t.clusterIdentifier === target.clusterIdentifier,
  );
  const secretIds = planned
    ? [planned.masterSecretName, ...planned.applicationUsers.map((u) => u.secretName)]
    : [
        operation.outputs.masterSecretArn,
        ...((operation.outputs.applicationSecretArns ?? []) as string[]),
      ].filter((id): id is string => typeof id === "string");
  if (secretIds.length === 0) return 0;
  if (operation.outputs[claimKey("new-moved-in")] !== undefined) {
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
