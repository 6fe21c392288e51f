import type { AnyDomainEventContract, DomainEventDetail, ParsedEnvelope } from "../events/contract";
import type { StageName } from "../events/shapes";
import type { OperationStep } from "../operation/steps";
import type { OperationInfo } from "../storage/operations";
import type { StageDeps } from "./deps";
import { advance, audit, loadAt } from "./kit";

/** What a stage needs of a parsed event: its id (idempotency, causation) and its validated detail. */
export type StageEvent<C extends AnyDomainEventContract> = Pick<
  ParsedEnvelope<DomainEventDetail<C>>,
  "id" | "detail" | "replayName"
>;

/** The operation output that remembers which event moved the operation into `step`. */
export function claimKey(step: OperationStep): string {
  return `claimedBy:${step}`;
}

/**
 * Loads the operation and moves it `from` -> `to` before any side effect (conditional on step and version).
 * The same event delivered again after a crash (a Lambda retry keeps the event id) finds the operation at
 * `to`, claimed by itself, and resumes: every action after the claim is idempotent. Any other event finding
 * it there is a duplicate or a replay and is ignored with an audit entry.
 */
export async function claimStep(
  deps: StageDeps,
  input: {
    operationId: string;
    eventId: string;
    from: OperationStep;
    to: OperationStep;
    stage: StageName;
    action: string;
    outputs?: OperationInfo["outputs"];
  },
): Promise<OperationInfo | undefined> {
  const context = { stage: input.stage, action: input.action, eventId: input.eventId };
  const operation = await loadAt(deps, input.operationId, [input.from, input.to], context);
  if (!operation) return undefined;
  if (operation.step === input.to) {
    const resumed = operation.outputs[claimKey(input.to)] === input.eventId;
    await audit(deps, operation, {
      ...context,
      outcome: resumed ? "started" : "ignored-duplicate",
      details: { step: operation.step, resumed },
    });
    return resumed ? operation : undefined;
  }
  return advance(deps, operation, {
    to: input.to,
    eventId: input.eventId,
    action: input.action,
    countAttempt: true,
    outputs: { ...input.outputs, [claimKey(input.to)]: input.eventId },
  });
}

/** True when an entry for `action` with `outcome` was already audited for this event (per-event idempotency). */
export async function alreadyAudited(
  deps: StageDeps,
  operationId: string,
  match: { eventId: string; action: string; outcome: "succeeded" | "failed" },
): Promise<boolean> {
  const entries = await deps.audit.listByOperation(operationId);
  return entries.some(
    (e) => e.eventId === match.eventId && e.action === match.action && e.outcome === match.outcome,
  );
}

/** The AWS scope of the operation's target (the pipeline runs in the target account: no role to assume). */
export function targetScope(operation: Pick<OperationInfo, "target">) {
  return { accountId: operation.target.accountId, region: operation.target.region };
}

/** Transient failures (throttling, service unavailable) are rethrown so the delivery retries and resumes. */
export function isRetryable(error: unknown): boolean {
  return (error as { retryable?: unknown })?.retryable === true;
}

export class PlanTargetMissingError extends Error {
  override name = "PlanTargetMissingError";
  readonly code = "PlanTargetMissing";
}

/** The plan and its entry for the operation's target (a plan edited mid-operation may have dropped it). */
export async function planTargetOf(deps: StageDeps, operation: Pick<OperationInfo, "planId" | "target">) {
  const plan = await deps.plans.get(operation.planId);
  const { accountId, region, clusterIdentifier } = operation.target;
  const target = plan.targets.find(
    (t) => t.accountId === accountId && t.region === region && t.clusterIdentifier === clusterIdentifier,
  );
  if (!target) {
    throw new PlanTargetMissingError(
      `Plan ${plan.id} no longer lists target ${accountId}/${region}/${clusterIdentifier}; restore the target to the plan or fail the operation.`,
    );
  }
  return { plan, target };
}
