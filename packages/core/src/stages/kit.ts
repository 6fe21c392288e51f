import type { AnyDomainEventContract, DomainEventInput } from "../events/contract";
import { domainEvents, RestoreFailed } from "../events/domain";
import type { EventMetadata } from "../events/metadata";
import type { StageName } from "../events/shapes";
import { targetKeyOf } from "../operation/ids";
import { type OperationStep, stageOfStep } from "../operation/steps";
import type { ComplianceProfile } from "../plan/schema";
import { isAwsCallError } from "../ports/errors";
import type { AuditOutcome } from "../storage/audit-entity";
import {
  type OperationHandoff,
  type OperationInfo,
  StaleTransitionError,
  type TransitionInput,
} from "../storage/operations";
import type { StageDeps } from "./deps";
import { pipelineMetrics } from "./metrics";

/** Shared moves of every stage: move state, audit, publish, fail. Stages stay small and alike. */

export function now(deps: StageDeps): string {
  return deps.clock().toISOString();
}

/** Metadata for an event caused by `causationId` within `operation`. */
export function metaFor(
  deps: StageDeps,
  operation: Pick<OperationInfo, "operationId" | "correlationId">,
  causationId: string,
) {
  return {
    operationId: operation.operationId,
    correlationId: operation.correlationId,
    causationId,
    occurredAt: now(deps),
  };
}

export async function publish<C extends AnyDomainEventContract>(
  deps: StageDeps,
  contract: C,
  detail: DomainEventInput<C>,
  resources: string[] = [],
): Promise<void> {
  const entry = contract.entry(detail, { busName: deps.busName, resources });
  const result = await deps.publisher.putEvents([entry]);
  if (result.FailedEntryCount > 0) {
    const failure = result.Entries[0];
    throw new Error(
      `PutEvents failed for ${contract.detailType}: ${failure?.ErrorCode} ${failure?.ErrorMessage}`,
    );
  }
}

/**
 * The outbox entry for `detail`, the event that hands an operation at `step` to the next stage. Pass it to
 * `advance` (or the store's create) when a transition comes right before the publish; otherwise `handOff`
 * records it.
 */
export function handoffOf<C extends AnyDomainEventContract>(
  deps: StageDeps,
  step: OperationStep,
  contract: C,
  detail: DomainEventInput<C>,
): OperationHandoff {
  // The metadata is made afresh on a republish; only the payload and the original cause are kept.
  const {
    operationId: _operationId,
    correlationId: _correlationId,
    occurredAt: _occurredAt,
    causationId,
    ...rest
  } = detail as unknown as EventMetadata & Record<string, unknown>;
  return { step, detailType: contract.detailType, detail: rest, causationId, recordedAt: now(deps) };
}

/**
 * Publishes the event that hands `operation` to the next stage, recording it on the operation first (unless
 * the transition into its step already did), so the watcher can publish it again when this process dies or
 * PutEvents fails after the transition: a redelivered input would find the operation moved and be ignored.
 */
export async function handOff<C extends AnyDomainEventContract>(
  deps: StageDeps,
  operation: OperationInfo,
  contract: C,
  detail: DomainEventInput<C>,
): Promise<void> {
  let { handoff } = operation;
  if (handoff?.step !== operation.step || handoff.detailType !== contract.detailType) {
    handoff = handoffOf(deps, operation.step, contract, detail);
    const recorded = await deps.store.recordHandoff(
      operation.operationId,
      { step: operation.step, version: operation.version },
      handoff,
    );
    // Moved on meanwhile (a deadline failure, say): the next stage ignores the event, so publishing is harmless.
    if (!recorded) {
      deps.logger.warn("The operation moved on before its handoff was recorded", {
        operationId: operation.operationId,
        step: operation.step,
        detailType: contract.detailType,
      });
    }
  }
  await publishHandoff(deps, operation, handoff, contract, detail);
}

/**
 * Publishes the event of `operation`'s recorded `handoff`. When that fails, the handoff is marked so the
 * watcher publishes it at its next tick (republish-handoffs.ts) instead of after the stall time: a caller
 * that is not redelivered (the watcher's own tick) would otherwise leave the next stage waiting that long.
 */
async function publishHandoff<C extends AnyDomainEventContract>(
  deps: StageDeps,
  operation: Pick<OperationInfo, "operationId" | "step" | "version">,
  handoff: OperationHandoff,
  contract: C,
  detail: DomainEventInput<C>,
): Promise<void> {
  const at = { step: operation.step, version: operation.version };
  try {
    await publish(deps, contract, detail);
  } catch (error) {
    if (!handoff.publishFailed) {
      await deps.store
        .recordHandoff(operation.operationId, at, { ...handoff, publishFailed: true })
        .catch(() => false);
    }
    throw error;
  }
  if (handoff.publishFailed) {
    const { publishFailed: _published, ...published } = handoff;
    await deps.store.recordHandoff(operation.operationId, at, published).catch(() => false);
  }
}

/**
 * The retention of the operation's audit entries: the compliance profile recorded when it started. An
 * operation from before that was recorded reads its plan; when that fails, the audit write fails (and the
 * delivery retries) rather than silently keeping entries for a shorter time than the plan requires.
 */
async function complianceOf(
  deps: StageDeps,
  operation: Pick<OperationInfo, "planId" | "compliance">,
): Promise<ComplianceProfile> {
  if (operation.compliance) return operation.compliance;
  return (await deps.plans.get(operation.planId)).compliance;
}

export async function audit(
  deps: StageDeps,
  operation: Pick<OperationInfo, "operationId" | "targetKey" | "planId" | "compliance">,
  entry: {
    stage: StageName;
    action: string;
    outcome: AuditOutcome;
    eventId?: string;
    details?: Record<string, unknown>;
  },
): Promise<void> {
  await deps.audit.append(
    {
      operationId: operation.operationId,
      targetKey: operation.targetKey,
      actor: deps.actor,
      ...entry,
    },
    { at: now(deps), compliance: await complianceOf(deps, operation) },
  );
}

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
    const moved = await deps.store.transition(operation.operationId, {
      from: { step: operation.step, version: operation.version },
      to: input.to,
      at: now(deps),
      outputs: input.outputs,
      error: input.error,
      countAttempt: input.countAttempt,
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
    // A redelivery helps publish a handoff that failed; if it fails again, the watcher's next tick does it
    // (the handoff stays marked), so the duplicate itself still ends quietly.
    const republished = await republishHandoffOf(deps, operation, context.eventId).catch((error: unknown) => {
      deps.logger.warn("Could not publish the recorded handoff again; the watcher will", {
        operationId: operation.operationId,
        code: errorCodeOf(error),
      });
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

/**
 * A redelivery of the event that moved the operation to its current step, after that delivery failed to
 * publish the step's handoff (its PutEvents throttled: the bus retries it), publishes the handoff at once
 * instead of leaving it to the watcher. Only when the publish is known to have failed: a replay of the event
 * publishes nothing again. Returns the detail-type published.
 */
export async function republishHandoffOf(
  deps: StageDeps,
  operation: OperationInfo,
  eventId: string,
): Promise<string | undefined> {
  const { handoff } = operation;
  if (!handoff?.publishFailed || handoff.step !== operation.step || handoff.causationId !== eventId) {
    return undefined;
  }
  return publishRecordedHandoff(deps, operation, handoff);
}

/** Publishes the recorded `handoff` again (with fresh metadata); returns its detail-type. */
export async function publishRecordedHandoff(
  deps: StageDeps,
  operation: OperationInfo,
  handoff: OperationHandoff,
): Promise<string | undefined> {
  const contract = domainEvents.find((c) => c.detailType === handoff.detailType);
  if (!contract) return undefined;
  const detail = { ...handoff.detail, ...metaFor(deps, operation, handoff.causationId) };
  await publishHandoff(deps, operation, handoff, contract, detail as DomainEventInput<typeof contract>);
  return handoff.detailType;
}

/** The error code to report: the AWS error name, a PostgreSQL SQLSTATE, or the error's own name. */
export function errorCodeOf(error: unknown): string {
  if (isAwsCallError(error)) return error.code;
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string" && code.length > 0) return code;
  return error instanceof Error ? error.name : "UnknownError";
}

export function errorMessageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Ends the operation as failed (stage, error name, actionable message), audits it, releases the target
 * lock and publishes RestoreFailed. Safe to call twice: the second call finds the operation ended.
 */
export async function failOperation(
  deps: StageDeps,
  operation: OperationInfo,
  stage: StageName,
  error: unknown,
  eventId: string,
  hint?: string,
): Promise<void> {
  const code = errorCodeOf(error).slice(0, 128);
  // Bounded as the events bound it: an AWS or SQL error can be long, and RestoreFailed must still publish.
  const full = hint ? `${errorMessageOf(error)} ${hint}` : errorMessageOf(error);
  const message = full.length > 4_000 ? `${full.slice(0, 4_000)}…` : full;
  const failed = {
    ...metaFor(deps, operation, eventId),
    planId: operation.planId,
    target: operation.target,
    stage,
    errorCode: code,
    message,
  };
  const moved = await advance(deps, operation, {
    to: "failed",
    error: { stage, code, message },
    eventId,
    action: "fail-operation",
    // The outbox entry of RestoreFailed: notify and cleanup still get it if this process dies before publishing.
    handoff: handoffOf(deps, "failed", RestoreFailed, failed),
  });
  if (!moved) return;
  await audit(deps, operation, {
    stage,
    action: "fail-operation",
    outcome: "failed",
    eventId,
    details: { code, message },
  });
  deps.metrics.count(pipelineMetrics.failed, 1, { stage });
  deps.logger.error("Operation failed", { operationId: operation.operationId, stage, code, message });
  // Release first: if the publish fails, a redelivery finds the operation ended and must not leave the
  // target locked forever.
  await deps.store.releaseLock(targetKeyOf(operation.target), operation.operationId);
  // Through the recorded handoff: a failed publish is marked, so the bus's retry publishes it again.
  await handOff(deps, moved, RestoreFailed, failed);
}
