import { RestoreRequested } from "../../events/domain";
import type { OperationTrigger, SnapshotRef, SnapshotState, StageName } from "../../events/shapes";
import { targetKeyOf } from "../../operation/ids";
import { terminalSteps } from "../../operation/steps";
import type { Plan, PlanTarget } from "../../plan/schema";
import { TargetBusyError } from "../../storage/lock-store";
import type { OperationInfo } from "../../storage/operations";
import { audit } from "./audit";
import type { StageDeps } from "./deps";
import { handOff, handoffOf, republishHandoffOf } from "./handoff";
import { pipelineMetrics } from "./metrics";
import { metaFor, now, publish } from "./publish";
import { clusterRefOf } from "./snapshot-refs";

export interface StartOperationInput {
  plan: Plan;
  target: PlanTarget;
  snapshot: SnapshotRef & { type: "automated" | "manual" };
  /** The snapshot's status and encryption when the caller described or listed it: prepare then need not. */
  snapshotState?: SnapshotState;
  trigger: OperationTrigger;
  requestedBy: string;
  operationId: string;
  correlationId: string;
  /** The event (or tick) that asked for it. */
  causationId: string;
  /** The stage recording it: trigger, or watcher when reconciling. */
  stage: StageName;
}

export type StartOutcome =
  | { outcome: "started"; operationId: string }
  | { outcome: "duplicate"; operationId: string }
  | { outcome: "refused"; operationId: string; reason: string; activeOperationId: string };

/**
 * Starts one operation for one target: lock the target, create the operation (conditional: a duplicate
 * finds it), publish RestoreRequested. A duplicate changes nothing; a busy target is refused and audited.
 */
export async function startOperation(deps: StageDeps, input: StartOperationInput): Promise<StartOutcome> {
  const { plan, target, operationId } = input;
  const targetKey = targetKeyOf(target);
  const ref = { operationId, targetKey, planId: plan.id, compliance: plan.compliance };
  const context = { stage: input.stage, action: "start-operation", eventId: input.causationId };

  const duplicate = async (step: string, existing?: OperationInfo): Promise<StartOutcome> => {
    // The bus retrying a delivery whose RestoreRequested was not published: publish it now.
    const republished = existing ? await republishHandoffOf(deps, existing, input.causationId) : undefined;
    await audit(deps, ref, {
      ...context,
      outcome: "ignored-duplicate",
      details: { step, ...(republished ? { republished } : {}) },
    });
    deps.metrics.count(pipelineMetrics.duplicateRequests, 1, { stage: input.stage });
    deps.logger.info("Operation already exists; nothing started", { operationId, step });
    return { outcome: "duplicate", operationId };
  };

  const existing = await deps.store.get(operationId);
  if (existing) return duplicate(existing.step, existing);

  const at = now(deps);
  try {
    await deps.store.acquireLock(targetKey, operationId, at);
  } catch (error) {
    if (!(error instanceof TargetBusyError)) throw error;
    await audit(deps, ref, {
      ...context,
      outcome: "rejected",
      details: {
        reason: error.message,
        activeOperationId: error.activeOperationId,
        snapshot: input.snapshot.arn,
      },
    });
    deps.metrics.count(pipelineMetrics.requestsRefused, 1, { stage: input.stage });
    deps.logger.error("Refused to start an operation: the target is busy", {
      operationId,
      targetKey,
      activeOperationId: error.activeOperationId,
    });
    return {
      outcome: "refused",
      operationId,
      reason: error.message,
      activeOperationId: error.activeOperationId,
    };
  }

  const requested = {
    ...metaFor(deps, { operationId, correlationId: input.correlationId }, input.causationId),
    planId: plan.id,
    target: clusterRefOf(target, target.clusterIdentifier),
    sourceSnapshot: input.snapshot,
    ...(input.snapshotState ? { sourceSnapshotState: input.snapshotState } : {}),
    trigger: input.trigger,
    requestedBy: input.requestedBy,
  };
  const deadline = new Date(deps.clock().getTime() + target.deadlineMinutes * 60_000).toISOString();
  let created: boolean;
  try {
    const fields = {
      planId: plan.id,
      target: clusterRefOf(target, target.clusterIdentifier),
      sourceSnapshot: input.snapshot,
      trigger: input.trigger,
      requestedBy: input.requestedBy,
    };
    created = await deps.store.create(
      {
        operationId,
        targetKey,
        ...fields,
        correlationId: input.correlationId,
        deadline,
        compliance: plan.compliance,
        handoff: handoffOf(deps, "requested", RestoreRequested, requested, fields),
      },
      at,
    );
  } catch (error) {
    // No operation was written: give the lock back so the target is not blocked by nothing.
    await deps.store.releaseLock(targetKey, operationId);
    throw error;
  }
  if (!created) {
    // A concurrent delivery created it first. If that operation already ended, our lock is a stray: drop it.
    const winner = await deps.store.get(operationId);
    if (winner && terminalSteps.has(winner.step)) await deps.store.releaseLock(targetKey, operationId);
    return duplicate(winner?.step ?? "unknown");
  }

  await audit(deps, ref, {
    ...context,
    outcome: "started",
    details: {
      trigger: input.trigger,
      snapshot: input.snapshot.arn,
      requestedBy: input.requestedBy,
      deadline,
    },
  });
  // Through the recorded handoff: a failed publish is marked, so the bus's retry publishes it again.
  const started = await deps.store.get(operationId);
  await (started
    ? handOff(deps, started, RestoreRequested, requested)
    : publish(deps, RestoreRequested, requested));
  deps.metrics.count(pipelineMetrics.started, 1, { trigger: input.trigger });
  deps.logger.info("Operation started", { operationId, targetKey, snapshot: input.snapshot.arn });
  return { outcome: "started", operationId };
}
