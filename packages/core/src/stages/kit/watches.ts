import {
  ClusterAvailable,
  ClusterCreated,
  ClusterRenamed,
  CopyCompleted,
  SnapshotAvailable,
  SourceSnapshotCopied,
} from "../../events/domain";
import type { OperationStep } from "../../operation/steps";
import type { AccessScope } from "../../ports/location";
import type { OperationInfo } from "../../storage/operations";
import type { WatchKind } from "../../storage/watch-entity";
import { flushAudit } from "./audit-buffer";
import type { StageDeps } from "./deps";
import { firstCheckAt } from "./watch-schedule";

/**
 * The contract between a stage that starts something slow (a copy, a restore, a rename, a delete) and the
 * watcher that notices when it ends. The stage adds a watch; the watcher describes the resource on the watch's
 * own schedule with back-off (watch-schedule.ts), early on RDS events (and, locally, when the local RDS says
 * the resource changed), and when it is ready makes the optional conditional transition and publishes
 * the named event, then removes the watch. A resource in a failed state fails the operation.
 *
 * What "ready" means per kind (resource = identifier or ARN in the watch's scope):
 * - snapshot-copy: describeClusterSnapshot(resource).status === "available" ("failed" fails the operation).
 * - cluster-available: describeCluster(resource).status === "available".
 * - instances-available: the cluster and every instance in `instances` are "available" (publishes the endpoint).
 * - cluster-renamed: describeCluster(resource) (the NEW name) is "available", and so are `instances` (new names);
 *   not found yet means the rename is still in progress.
 * - cluster-deleted: describeCluster(resource) throws DBClusterNotFoundFault.
 */
/** The events a watch may publish (declared in events/domain.ts; never retyped as strings). */
export const watchableEvents = [
  SourceSnapshotCopied,
  SnapshotAvailable,
  CopyCompleted,
  ClusterCreated,
  ClusterAvailable,
  ClusterRenamed,
] as const;
export type WatchableEvent = (typeof watchableEvents)[number];
/** The detail-type of a watchable event, or "none" (only audit and remove the watch). */
export type WatchEvent = WatchableEvent["detailType"] | "none";

export interface WatchContext {
  /** The event the watcher publishes when the resource is ready ("none": only audit and remove the watch). */
  publish: WatchEvent;
  /**
   * The step(s) the operation must still be at; otherwise the watch is stale and removed unused. A list suits
   * watches that outlive a step, e.g. cluster-deleted with ["new-moved-in", "completed"].
   */
  atStep: OperationStep | OperationStep[];
  /** Conditional transition the watcher makes before publishing (records the stage's end time). */
  advanceTo?: OperationStep;
  /** instances-available / cluster-renamed: instance identifiers that must be available too. */
  instances?: string[];
  /** cluster-renamed: the identifier before the rename, and which rename this is. */
  previousIdentifier?: string;
  renameStep?: "old-moved-away" | "new-moved-in" | "rolled-back";
  /** SnapshotAvailable: accounts the snapshot was shared with. */
  sharedWith?: string[];
}

export interface WatchRequest extends Omit<WatchContext, "publish"> {
  /** The contract to publish when ready (e.g. the CopyCompleted contract), or "none". */
  publish: WatchableEvent | WatchEvent;
  /** Unique within the operation, e.g. "target-copy"; adding the same id twice is a no-op. */
  watchId: string;
  kind: WatchKind;
  scope: AccessScope;
  resource: string;
}

/** Registers a watch for the operation (idempotent per watchId). */
export async function addWatch(
  deps: StageDeps,
  operation: Pick<OperationInfo, "operationId">,
  request: WatchRequest,
): Promise<void> {
  const { watchId, kind, scope, resource, publish, ...rest } = request;
  const context: WatchContext = {
    ...rest,
    publish: typeof publish === "string" ? publish : publish.detailType,
  };
  const createdAt = deps.clock();
  // A pending watch says the step's work is done (a duplicate will not redo it): its records go first.
  await flushAudit(operation.operationId);
  await deps.store.addWatch({
    operationId: operation.operationId,
    watchId,
    kind,
    accountId: scope.accountId,
    region: scope.region,
    ...(scope.roleArn ? { roleArn: scope.roleArn } : {}),
    resource,
    context: context as unknown as Record<string, unknown>,
    createdAt: createdAt.toISOString(),
    nextCheckAt: firstCheckAt(createdAt),
  });
}

export function expectedSteps(context: WatchContext): OperationStep[] {
  return Array.isArray(context.atStep) ? context.atStep : [context.atStep];
}

export function watchContextOf(context: unknown): WatchContext | undefined {
  const value = context as Partial<WatchContext> | undefined;
  if (!value || typeof value.publish !== "string") return undefined;
  if (typeof value.atStep !== "string" && !Array.isArray(value.atStep)) return undefined;
  return value as WatchContext;
}
