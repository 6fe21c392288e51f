import type { StageName } from "../../events/shapes";
import { type OperationStep, stageOfStep } from "../../operation/steps";
import { type OperationInfo, StaleTransitionError, type TransitionInput } from "../../storage/operations";
import { audit } from "./audit";
import { flushAudit } from "./audit-buffer";
import type { StageDeps } from "./deps";
import { errorCodeOf } from "./errors";
import { republishHandoffOf } from "./handoff";
import { pipelineMetrics } from "./metrics";
import { now } from "./publish";

/** Moving an operation between steps: only from where the caller saw it, duplicates audited and ignored. */

/** A StageDuration metric for each stage this transition ended (the dashboard's stage-duration widget). */
function recordStageDurations(deps: StageDeps, before: OperationInfo, after: OperationInfo): void {
  for (const [stage, times] of Object.entries(after.stageTimes)) {
    if (!times?.endedAt || before.stageTimes[stage as StageName]?.endedAt) continue;
    deps.metrics.durationMs(
      pipelineMetrics.stageDuration,
      Date.parse(times.endedAt) - Date.parse(times.startedAt),
      {
        stage,
      },
    );
  }
}

/**
 * Moves the operation, or, when it already moved (duplicate or replayed event), records the duplicate and
 * returns undefined so the caller does nothing twice.
 */
export async function advance(
  deps: StageDeps,
  operation: OperationInfo,
  input: Omit<TransitionInput, "at" | "from"> & { eventId: string; action: string },
): Promise<OperationInfo | undefined> {
  try {
    // What this delivery did before the step moves on is recorded first (see audit-buffer.ts).
    await flushAudit(operation.operationId);
    const moved = await deps.store.transition(operation.operationId, {
      from: { step: operation.step, version: operation.version },
      to: input.to,
      at: now(deps),
      outputs: input.outputs,
      claims: input.claims,
      error: input.error,
      countAttempt: input.countAttempt,
      ...(input.stageStartedAt ? { stageStartedAt: input.stageStartedAt } : {}),
      handoff: input.handoff,
      lease: input.lease,
      current: operation,
    });
    recordStageDurations(deps, operation, moved);
    return moved;
  } catch (error) {
    if (error instanceof StaleTransitionError) {
      await audit(deps, operation, {
        stage: stageOfStep[input.to],
        action: input.action,
        outcome: "ignored-duplicate",
        eventId: input.eventId,
        details: { reason: error.message },
      });
      deps.logger.info("Ignored a duplicate or stale event", {
        operationId: operation.operationId,
        reason: error.message,
      });
      return undefined;
    }
    throw error;
  }
}

/**
 * Loads the operation an event refers to and checks it is at one of the expected steps. Anything else is
 * a duplicate, a replay or an event for an ended operation: audited as ignored, never acted on.
 */
export async function loadAt(
  deps: StageDeps,
  operationId: string,
  expected: readonly OperationStep[],
  context: { stage: StageName; action: string; eventId: string },
): Promise<OperationInfo | undefined> {
  const operation = await deps.store.get(operationId);
  if (!operation) {
    deps.logger.warn("Event for an unknown operation", { operationId, ...context });
    return undefined;
  }
  if (!expected.includes(operation.step)) {
    // A redelivery of the event whose handoff failed to publish publishes it. If that fails again: for a
    // running operation the watcher's next tick does it (the handoff stays marked), so the duplicate ends
    // quietly; an ended operation's outcome (RestoreCompleted/RestoreFailed) has nobody else to publish it
    // (the watcher looks at running operations only), so the delivery fails and the bus delivers it again.
    const republished = await republishHandoffOf(deps, operation, context.eventId).catch((error: unknown) => {
      const ended = operation.status !== "running";
      deps.logger.warn(
        ended
          ? "Could not publish the ended operation's outcome again; the delivery fails so it is retried"
          : "Could not publish the recorded handoff again; the watcher will",
        { operationId: operation.operationId, code: errorCodeOf(error) },
      );
      if (ended) throw error;
      return undefined;
    });
    await audit(deps, operation, {
      stage: context.stage,
      action: context.action,
      outcome: "ignored-duplicate",
      eventId: context.eventId,
      details: { step: operation.step, expected, ...(republished ? { republished } : {}) },
    });
    return undefined;
  }
  return operation;
}
