import type { RestoreCompleted, RestoreFailed } from "../events/domain";
import { resourceNames, targetKeyOf } from "../operation/ids";
import { terminalSteps } from "../operation/steps";
import { isAwsCallError } from "../ports/errors";
import type { AccessScope } from "../ports/location";
import { alreadyAudited, isRetryable, type StageEvent, targetScope } from "./claim";
import { deleteClusterWithInstances } from "./cluster-swap";
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
 * cutover could not delete, and releases the target lock if this operation still holds it.
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
  if ((await deps.store.lockHolder(targetKey)) === operationId) {
    await deps.store.releaseLock(targetKey, operationId);
    await step("release-lock", "succeeded", { targetKey });
  }
  await step("cleanup", failures === 0 ? "succeeded" : "failed", { failures });
}
