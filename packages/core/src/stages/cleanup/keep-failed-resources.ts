import { resourceNames } from "../../operation/ids";
import type { Plan } from "../../plan/schema";
import type { OperationInfo } from "../../storage/operations";
import { claimOf } from "../kit/claim";
import type { StageDeps } from "../kit/deps";
import { decodeSharedCopy, sharedCopyIdentifier } from "../kit/shared-copies";

export type KeptResources = NonNullable<OperationInfo["kept"]>;

/**
 * When the plan keeps a failed operation's resources (retention.keepFailedResourcesHours), cleanup leaves the
 * restored `-next` cluster and the copied snapshot in place and records them with their expiry on the
 * operation: a person can inspect them, `operations retry` resumes on them instead of copying and restoring
 * again, and the watcher deletes them when they expire. Never the hop snapshot (unmasked production data,
 * under the default key) and never a cluster that already carries the target's name.
 */
export async function keepFailedResources(
  deps: StageDeps,
  operation: OperationInfo,
  plan: Plan | undefined,
  step: (action: string, outcome: "succeeded", details: Record<string, unknown>) => Promise<void>,
): Promise<KeptResources | undefined> {
  const hours = plan?.retention.keepFailedResourcesHours ?? 0;
  if (operation.step !== "failed" || hours === 0) return undefined;
  // Cleanup runs again after a crash: the record it made the first time stands.
  if (operation.kept) return operation.kept;
  const names = resourceNames(operation.operationId, operation.target.clusterIdentifier);
  const nextCluster =
    typeof operation.outputs.nextClusterId === "string" && claimOf(operation, "new-moved-in") === undefined
      ? names.nextCluster
      : undefined;
  // A shared target copy stays in use by this operation (it does not leave it) until the kept ones expire.
  const sharedTarget = decodeSharedCopy(operation.outputs.targetCopy);
  const targetSnapshot = sharedTarget
    ? sharedCopyIdentifier(sharedTarget, "copy")
    : typeof operation.outputs.targetSnapshotArn === "string"
      ? names.targetSnapshot
      : undefined;
  if (!nextCluster && !targetSnapshot) return undefined;
  const until = new Date(deps.clock().getTime() + hours * 3_600_000).toISOString();
  const kept: KeptResources = {
    ...(nextCluster ? { nextCluster } : {}),
    ...(targetSnapshot ? { targetSnapshot } : {}),
    until,
  };
  if (!(await deps.store.recordKept(operation.operationId, kept))) return undefined;
  await step("keep-failed-resources", "succeeded", {
    ...kept,
    reason: `the plan keeps a failed operation's resources ${hours} h, for inspection and 'operations retry'`,
  });
  return kept;
}
