import type { AnyDomainEventContract, DomainEventDetail, ParsedEnvelope } from "../../events/contract";
import type { StageName } from "../../events/shapes";
import type { OperationStep } from "../../operation/steps";
import type { EffectClaim } from "../../storage/effect-store";
import type { OperationInfo } from "../../storage/operations";
import { advance, loadAt } from "./advance";
import { audit } from "./audit";
import { flushAudit } from "./audit-buffer";
import type { StageDeps } from "./deps";
import { holdLease, leaseIsLive, leaseMsOf, newLease } from "./lease";
import { pipelineMetrics } from "./metrics";
import { expectedSteps, watchContextOf } from "./watches";

/** What a stage needs of a parsed event: its id (idempotency, causation) and its validated detail. */
export type StageEvent<C extends AnyDomainEventContract> = Pick<
  ParsedEnvelope<DomainEventDetail<C>>,
  "id" | "detail" | "replayName"
>;

/**
 * The steps whose claim is recorded on the operation (`claims`): those claimOf is asked about. The other
 * claims' event ids are in the audit trail (each entry carries its delivery's event id); on the item each
 * would make every later write of the operation dearer (a write is billed by the size of the item).
 */
const recordedClaims: ReadonlySet<OperationStep> = new Set<OperationStep>(["new-moved-in"]);

/** The `claims` a claim of `step` by `eventId` records (none for a step nobody asks about). */
export function claimRecordOf(step: OperationStep, eventId: string): OperationInfo["claims"] {
  return recordedClaims.has(step) ? { [step]: eventId } : {};
}

/** The event that moved the operation into `step`, if one did and it is recorded (see recordedClaims). */
export function claimOf(
  operation: Pick<OperationInfo, "claims" | "outputs">,
  step: OperationStep,
): string | undefined {
  // Operations written before claims had their own attribute kept them among the outputs.
  const legacy = operation.outputs[`claimedBy:${step}`];
  return operation.claims?.[step] ?? (typeof legacy === "string" ? legacy : undefined);
}

/**
 * Loads the operation and moves it `from` -> `to` before any side effect (conditional on step and version),
 * taking a lease on `to` for this delivery (see OperationLease). Another delivery finding it at `to`:
 * - while the lease is live (a duplicate of the same event id, running at the same time): does nothing;
 * - after the lease expired with no watch pending (the owner crashed or timed out mid-step): takes the lease
 *   over and resumes; every action after the claim is idempotent on its own;
 * - with no lease, or a watch pending (the step's work is done and waits on AWS): does nothing.
 * Each of those is audited. Nothing is retried by the bus: the watcher publishes the step's handoff again
 * when a lease expires (republish-handoffs.ts), which is how a crashed step resumes.
 * Powertools' idempotency utility is the reference, but its record is a separate item and dynalite has no
 * transactions: the lease lives on the operation item, in the same conditional write as the step it claims.
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
  const claimed =
    operation.step === input.to
      ? await resumeIfAbandoned(deps, operation, input, context)
      : await advance(deps, operation, {
          to: input.to,
          eventId: input.eventId,
          action: input.action,
          countAttempt: true,
          outputs: input.outputs,
          claims: claimRecordOf(input.to, input.eventId),
          lease: newLease(deps, { step: input.to, from: input.from, eventId: input.eventId }),
        });
  if (claimed) holdLease(claimed);
  return claimed;
}

async function resumeIfAbandoned(
  deps: StageDeps,
  operation: OperationInfo,
  input: { from: OperationStep; to: OperationStep; eventId: string },
  context: { stage: StageName; action: string; eventId: string },
): Promise<OperationInfo | undefined> {
  const ignore = async (reason: string, details: Record<string, unknown> = {}) => {
    await audit(deps, operation, {
      ...context,
      outcome: "ignored-duplicate",
      details: { step: operation.step, reason, ...details },
    });
    deps.metrics.count(pipelineMetrics.duplicateDeliveries, 1, { stage: context.stage });
    return undefined;
  };
  const { lease } = operation;
  if (!lease || lease.step !== input.to || lease.from !== input.from) {
    return ignore("the step was claimed and its work is done; it waits on the watcher");
  }
  const now = deps.clock().getTime();
  if (leaseIsLive(operation, now)) {
    return ignore("another delivery is working on this step", {
      leaseEventId: lease.eventId,
      leaseExpiresAt: lease.expiresAt,
    });
  }
  if (await waitsOnWatch(deps, operation)) {
    return ignore("the step's work is done and waits on AWS (a watch is pending)");
  }
  const taken = await deps.store.takeOverLease(
    operation.operationId,
    { step: operation.step, version: operation.version },
    newLease(deps, { step: input.to, from: input.from, eventId: input.eventId }),
  );
  if (!taken) return ignore("another delivery took the expired lease over first");
  await audit(deps, taken, {
    ...context,
    outcome: "started",
    details: {
      step: taken.step,
      resumed: true,
      previousEventId: lease.eventId,
      expiredAt: lease.expiresAt,
    },
  });
  deps.logger.warn("Resumed a step whose lease expired (its delivery crashed or timed out)", {
    operationId: taken.operationId,
    step: taken.step,
    previousEventId: lease.eventId,
  });
  return taken;
}

/** True when a pending watch holds the operation at its current step (its claimed work is done). */
export async function waitsOnWatch(
  deps: StageDeps,
  operation: Pick<OperationInfo, "operationId" | "step" | "watch">,
): Promise<boolean> {
  const holds = (context: unknown) => {
    const watch = watchContextOf(context);
    return watch !== undefined && expectedSteps(watch).includes(operation.step);
  };
  if (operation.watch) return holds(operation.watch.context);
  // A watch item written before watches moved onto the operation, until the watcher moves it there
  // (watcher/legacy-watches.ts). Only asked on the rare paths (an expired lease, a stalled handoff).
  const legacy = await deps.store.legacyWatchesOf(operation.operationId);
  return legacy.some((w) => w.state === "pending" && holds(w.context));
}

/**
 * Does `effect` at most once for the operation (a notification, the cleanup), with a lease like a step's:
 * a concurrent duplicate skips it, a completed one is never redone, and an abandoned claim (its owner died
 * before completing) is taken over after it expires. Returns false when the effect was skipped.
 */
export async function once(
  deps: StageDeps,
  operationId: string,
  effect: string,
  run: () => Promise<void>,
): Promise<{ ran: boolean; state: EffectClaim }> {
  const at = deps.clock();
  const holder = newLease(deps, { step: "completed", from: "completed", eventId: effect }).holder;
  const state = await deps.store.claimEffect(operationId, effect, {
    holder,
    at: at.toISOString(),
    now: at.getTime(),
    expiresAt: at.getTime() + leaseMsOf(deps),
  });
  if (state !== "acquired") return { ran: false, state };
  try {
    await run();
  } catch (error) {
    await deps.store.releaseEffect(operationId, effect, holder).catch(() => undefined);
    throw error;
  }
  await flushAudit(operationId);
  await deps.store.completeEffect(operationId, effect, holder, deps.clock().toISOString());
  return { ran: true, state };
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
