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
import type { PendingWatch, WatchKind } from "../../storage/pending-watch";
import { flushAudit } from "./audit-buffer";
import type { StageDeps } from "./deps";

/**
 * The contract between a stage that starts something slow (a copy, a restore, a rename, a delete) and the
 * watcher that notices when it ends. Once it has requested it, the stage records the watch on its operation
 * (`startWatch`: one conditional write that also ends its lease); the watcher describes the resource on the
 * watch's own schedule with back-off (watch-schedule.ts), early on RDS events (and, locally, when the local RDS
 * says the resource changed), and when it is ready ends the wait in one conditional write: the transition to
 * `advanceTo`, or (none) the handoff record, either removing the watch; then it publishes the named event. A
 * resource in a failed state fails the operation (that transition removes the watch too).
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
  /** Unique within the operation, e.g. "target-copy". */
  watchId: string;
  kind: WatchKind;
  scope: AccessScope;
  resource: string;
}

/** The watch a request describes, as the operation item holds it (its wait begins now). */
export function pendingWatchOf(deps: Pick<StageDeps, "clock">, request: WatchRequest): PendingWatch {
  const { watchId, kind, scope, resource, publish, ...rest } = request;
  const context: WatchContext = {
    ...rest,
    publish: typeof publish === "string" ? publish : publish.detailType,
  };
  return {
    watchId,
    kind,
    accountId: scope.accountId,
    region: scope.region,
    ...(scope.roleArn ? { roleArn: scope.roleArn } : {}),
    resource,
    context: context as unknown as Record<string, unknown>,
    createdAt: deps.clock().toISOString(),
  };
}

/**
 * The step's work is done and waits on AWS: records the watch on the operation and ends the lease, in one
 * write conditional on the step and version this delivery holds. Undefined when refused (another delivery
 * took the step over and waits itself, or the operation moved on): the caller stops there.
 */
export async function startWatch(
  deps: StageDeps,
  operation: OperationInfo,
  request: WatchRequest,
): Promise<OperationInfo | undefined> {
  // A pending watch says the step's work is done (a duplicate will not redo it): its records go first.
  await flushAudit(operation.operationId);
  const waiting = await deps.store.startWatch(operation, pendingWatchOf(deps, request));
  if (!waiting) {
    deps.logger.warn("The operation moved on before its watch was recorded; this delivery stops", {
      operationId: operation.operationId,
      step: operation.step,
      watchId: request.watchId,
    });
  }
  return waiting;
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
