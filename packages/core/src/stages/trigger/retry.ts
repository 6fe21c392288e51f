import { createHash } from "node:crypto";
import { ClusterAvailable, CopyCompleted, RestoreRequested, type RetryRequested } from "../../events/domain";
import type { StageName } from "../../events/shapes";
import { resourceNames, targetKeyOf } from "../../operation/ids";
import type { OperationStep } from "../../operation/steps";
import { TargetBusyError } from "../../storage/lock-store";
import type { OperationInfo } from "../../storage/operations";
import type { PendingWatch } from "../../storage/pending-watch";
import { audit } from "../kit/audit";
import { planTargetOf, type StageEvent, targetScope } from "../kit/claim";
import type { StageDeps } from "../kit/deps";
import { handOff, handoffOf } from "../kit/handoff";
import { metaFor, now } from "../kit/publish";
import { effectOfRun } from "../kit/retry-run";
import { releaseSharedCopy } from "../kit/shared-copies";
import { clusterRefOf } from "../kit/snapshot-refs";
import { type StartOutcome, startOperation } from "../kit/start-operation";
import { pendingWatchOf } from "../kit/watches";

/** The retry cannot be done (no such operation, not failed, target busy): the message says what to do. */
export class RetryRefusedError extends Error {
  override name = "RetryRefusedError";
  readonly code = "RetryRefused";
  readonly retryable = false;
}

/** The failed run's cleanup has not finished: the bus delivers the request again shortly. */
export class RetryTooEarlyError extends Error {
  override name = "RetryTooEarlyError";
  readonly code = "RetryTooEarly";
  readonly retryable = true;
}

export type RetryOutcome =
  | { outcome: "resumed"; operationId: string; resumeAt: StageName; reused: string[] }
  | { outcome: "duplicate"; operationId: string }
  | StartOutcome;

/** Where a retry resumes, and what it reuses, given what the failed run left (see keepFailedResources). */
interface ResumePoint {
  step: OperationStep;
  stage: StageName;
  reused: string[];
}

function resumePointOf(operation: OperationInfo, restoreMethod: string): ResumePoint {
  const failedAt = operation.error?.stage;
  const { kept } = operation;
  // configure and verify ran on a restored cluster: with it kept, wait for it (at once) and configure again.
  if (kept?.nextCluster && (failedAt === "configure" || failedAt === "verify")) {
    return { step: "creating-instances", stage: "configure", reused: [kept.nextCluster] };
  }
  // restore and later failed after the copy: with the copied snapshot kept, restore from it.
  const afterCopy = failedAt === "restore" || failedAt === "configure" || failedAt === "verify";
  if (kept?.targetSnapshot && afterCopy && restoreMethod !== "clone") {
    return { step: "copying", stage: "restore", reused: [kept.targetSnapshot] };
  }
  return { step: "requested", stage: "prepare", reused: [] };
}

/**
 * trigger on RetryRequested (`aurora-restore operations retry`): runs a failed operation again, under the
 * same id and audit trail. It resumes at the stage that failed, reusing what the plan kept of the failed run
 * (the restored `-next` cluster: configure runs again on it; the copied snapshot: restore runs again from
 * it), else from the start. The operation moves back from `failed` in one conditional write (a duplicate of
 * the request finds it running), takes the target lock again, and waits on a watch for the reused resource,
 * so the watcher hands it on as soon as it is available. `fromStart` starts a new operation for the same
 * snapshot and target instead (its id derives from the request, so a duplicate starts nothing).
 */
export async function onRetryRequested(
  deps: StageDeps,
  event: StageEvent<typeof RetryRequested>,
): Promise<RetryOutcome> {
  const { operationId, fromStart, requestedBy } = event.detail;
  const operation = await deps.store.get(operationId);
  if (!operation) {
    // No audit entry: a request must not write into an id that names no operation.
    throw new RetryRefusedError(`No operation ${operationId}: see 'aurora-restore operations list'.`);
  }
  const context = { stage: "trigger" as const, action: "retry-operation", eventId: event.id };
  const trail = await deps.audit.listByOperation(operationId);
  if (trail.some((e) => e.eventId === event.id && e.action === context.action && e.outcome !== "rejected")) {
    await audit(deps, operation, {
      ...context,
      outcome: "ignored-duplicate",
      details: { step: operation.step },
    });
    return { outcome: "duplicate", operationId };
  }
  if (operation.step !== "failed") {
    const reason = `operation ${operationId} is ${operation.status} (step ${operation.step}); only a failed operation is retried.`;
    await audit(deps, operation, { ...context, outcome: "rejected", details: { reason, requestedBy } });
    throw new RetryRefusedError(reason);
  }
  const effects = await deps.store.effectsOf(operationId);
  const cleanup = effects.find((e) => e.effect === effectOfRun(operation, "cleanup"));
  if (cleanup?.status !== "completed") {
    throw new RetryTooEarlyError(
      `The failed run of ${operationId} is still being cleaned up; the retry is delivered again shortly.`,
    );
  }
  if (fromStart) return retryFromStart(deps, operation, event, requestedBy);

  const { plan, target } = await planTargetOf(deps, operation);
  const resume = resumePointOf(operation, target.restoreMethod);
  const targetKey = targetKeyOf(operation.target);
  try {
    await deps.store.acquireLock(targetKey, operationId, now(deps));
  } catch (error) {
    if (!(error instanceof TargetBusyError)) throw error;
    const reason = `${targetKey} is being refreshed by ${error.activeOperationId}; retry after it ends.`;
    await audit(deps, operation, { ...context, outcome: "rejected", details: { reason, requestedBy } });
    throw new RetryRefusedError(reason);
  }
  await releaseUnusedKeptCopy(deps, operation, resume);
  const at = now(deps);
  const requested = {
    ...metaFor(deps, operation, event.id),
    planId: plan.id,
    target: clusterRefOf(target, target.clusterIdentifier),
    sourceSnapshot: operation.sourceSnapshot,
    trigger: operation.trigger,
    requestedBy: operation.requestedBy,
  };
  const reopened = await deps.store.reopen(operationId, {
    current: operation,
    to: resume.step,
    at,
    deadline: new Date(deps.clock().getTime() + target.deadlineMinutes * 60_000).toISOString(),
    ...(resume.step === "requested"
      ? { handoff: handoffOf(deps, "requested", RestoreRequested, requested, operation) }
      : {}),
    ...withWatch(reusedWatchOf(deps, operation, resume, target.instances.count)),
  });
  if (!reopened) {
    // Another delivery of a retry reopened it first; that one holds the lock now.
    await audit(deps, operation, {
      ...context,
      outcome: "ignored-duplicate",
      details: { reason: "retried meanwhile" },
    });
    return { outcome: "duplicate", operationId };
  }
  await audit(deps, reopened, {
    ...context,
    outcome: "started",
    details: {
      retry: reopened.retries,
      requestedBy,
      failedStage: operation.error?.stage,
      failedCode: operation.error?.code,
      resumeAt: resume.stage,
      reused: resume.reused,
    },
  });
  if (resume.step === "requested") await handOff(deps, reopened, RestoreRequested, requested);
  deps.logger.info("Failed operation retried", {
    operationId,
    resumeAt: resume.stage,
    retry: reopened.retries,
  });
  return { outcome: "resumed", operationId, resumeAt: resume.stage, reused: resume.reused };
}

/**
 * A kept shared target copy the retry does not reuse (it starts over at prepare): the failed run still
 * uses it, and reopening forgets the kept record, so the run leaves it now (the last user deletes it).
 * Leaving twice is harmless, so a retry delivered again after a crash here does it again.
 */
async function releaseUnusedKeptCopy(deps: StageDeps, operation: OperationInfo, resume: ResumePoint) {
  const kept = operation.kept?.targetSnapshot;
  if (!kept || resume.reused.includes(kept)) return;
  const released = await releaseSharedCopy(deps, operation, {
    outputKey: "targetCopy",
    userKey: "targetCopyUser",
    suffix: "copy",
    keep: false,
  });
  if (!released) return;
  await audit(deps, operation, {
    stage: "trigger",
    action: "leave-shared-copy",
    outcome: released.failures.length === 0 ? "succeeded" : "failed",
    details: { ...released, reason: "the retry starts over and does not reuse the kept copy" },
  });
}

const withWatch = (watch: PendingWatch | undefined) => (watch ? { watch } : {});

/**
 * The watch the stage before the resumed one would have left, recorded with the reopening: the watcher hands
 * the operation on from it as soon as the reused resource is available.
 */
function reusedWatchOf(
  deps: StageDeps,
  operation: OperationInfo,
  resume: ResumePoint,
  instanceCount: number,
): PendingWatch | undefined {
  const names = resourceNames(operation.operationId, operation.target.clusterIdentifier);
  const watchId = (name: string) => `retry-${(operation.retries ?? 0) + 1}-${name}`;
  if (resume.step === "creating-instances") {
    return pendingWatchOf(deps, {
      watchId: watchId("next-instances"),
      kind: "instances-available",
      scope: targetScope(operation),
      resource: names.nextCluster,
      instances: Array.from({ length: instanceCount }, (_, i) => names.instance(i, names.nextCluster)),
      publish: ClusterAvailable,
      atStep: "creating-instances",
      advanceTo: "cluster-available",
    });
  }
  if (resume.step === "copying") {
    return pendingWatchOf(deps, {
      watchId: watchId("target-copy"),
      kind: "snapshot-copy",
      scope: targetScope(operation),
      resource: resume.reused[0] ?? names.targetSnapshot,
      publish: CopyCompleted,
      atStep: "copying",
      advanceTo: "copy-completed",
    });
  }
  return undefined;
}

async function retryFromStart(
  deps: StageDeps,
  operation: OperationInfo,
  event: StageEvent<typeof RetryRequested>,
  requestedBy: string,
): Promise<StartOutcome> {
  const { plan, target } = await planTargetOf(deps, operation);
  // From the request's id: the same request delivered twice finds the operation it started.
  const suffix = createHash("sha256").update(event.id).digest("hex").slice(0, 8);
  const newId = `${operation.operationId.slice(0, 50)}-r${suffix}`;
  const started = await startOperation(deps, {
    plan,
    target,
    snapshot: operation.sourceSnapshot,
    trigger: "manual",
    requestedBy,
    operationId: newId,
    correlationId: operation.correlationId,
    causationId: event.id,
    stage: "trigger",
  });
  await audit(deps, operation, {
    stage: "trigger",
    action: "retry-operation",
    outcome: started.outcome === "refused" ? "rejected" : "started",
    eventId: event.id,
    details: { fromStart: true, newOperationId: newId, requestedBy, result: started.outcome },
  });
  if (started.outcome === "refused") throw new RetryRefusedError(started.reason);
  return started;
}
