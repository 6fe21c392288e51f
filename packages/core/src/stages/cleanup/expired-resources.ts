import type { KeptResourcesExpired } from "../../events/domain";
import { isAwsCallError } from "../../ports/errors";
import { audit } from "../kit/audit";
import { isRetryable, type StageEvent, targetScope } from "../kit/claim";
import type { StageDeps } from "../kit/deps";
import { errorCodeOf, errorMessageOf } from "../kit/errors";
import { releaseSharedCopy } from "../kit/shared-copies";
import { deleteRestoredCluster } from "./cleanup";

/**
 * cleanup on KeptResourcesExpired: deletes what a failed operation kept for inspection and retry once its
 * time is up (the `-next` cluster, the copied snapshot), then clears the record. Copies of the event, and
 * events for an operation retried meanwhile (no longer failed, or kept until later), change nothing.
 */
export async function onKeptResourcesExpired(
  deps: StageDeps,
  event: StageEvent<typeof KeptResourcesExpired>,
): Promise<void> {
  const operation = await deps.store.get(event.detail.operationId);
  if (!operation) return;
  const context = { stage: "cleanup" as const, eventId: event.id };
  const { kept } = operation;
  if (operation.step !== "failed" || !kept || kept.until > deps.clock().toISOString()) {
    await audit(deps, operation, {
      ...context,
      action: "delete-kept-resources",
      outcome: "ignored-duplicate",
      details: { step: operation.step, reason: kept ? `kept until ${kept.until}` : "nothing is kept" },
    });
    return;
  }
  const step = (action: string, outcome: "succeeded" | "failed", details: Record<string, unknown>) =>
    audit(deps, operation, { ...context, action, outcome, details });
  let failures = kept.nextCluster ? await deleteRestoredCluster(deps, operation, step) : 0;
  const sharedTarget = kept.targetSnapshot
    ? await releaseSharedCopy(deps, operation, {
        outputKey: "targetCopy",
        userKey: "targetCopyUser",
        suffix: "copy",
        keep: false,
      })
    : undefined;
  if (sharedTarget) {
    failures += sharedTarget.failures.length;
    const { failures: failed, ...details } = sharedTarget;
    await step("leave-shared-copy", failed.length === 0 ? "succeeded" : "failed", {
      ...details,
      reason: "expired",
      ...(failed.length > 0 ? { failed } : {}),
    });
  } else if (kept.targetSnapshot) {
    try {
      await deps.rds(targetScope(operation)).deleteClusterSnapshot(kept.targetSnapshot);
      await step("delete-snapshot", "succeeded", { snapshot: kept.targetSnapshot, reason: "expired" });
    } catch (error) {
      if (isRetryable(error)) throw error;
      if (!isAwsCallError(error, "DBClusterSnapshotNotFoundFault")) {
        failures += 1;
        await step("delete-snapshot", "failed", {
          snapshot: kept.targetSnapshot,
          code: errorCodeOf(error),
          message: `${errorMessageOf(error)} Delete it by hand.`,
        });
      }
    }
  }
  if (failures === 0) await deps.store.clearKept(operation.operationId, kept.until);
  await step("delete-kept-resources", failures === 0 ? "succeeded" : "failed", { ...kept, failures });
}
