import type { AnyDomainEventContract, DomainEventInput } from "../../events/contract";
import { domainEvents } from "../../events/domain";
import type { OperationHandoff, OperationInfo } from "../../storage/operations";
import { audit } from "./audit";
import { waitsOnWatch } from "./claim";
import type { StageDeps } from "./deps";
import { errorCodeOf, errorMessageOf } from "./errors";
import { handoffDetailOf, publishRecordedHandoff } from "./handoff";
import { leaseMsOf } from "./lease";
import { pipelineMetrics } from "./metrics";
import { metaFor, publish } from "./publish";

export interface HandoffOptions {
  /** Publish a recorded handoff again once its step has not changed for this many minutes (default 10). */
  handoffStallMinutes?: number;
  /** Publish it again at most this many times per step, then leave the operation to its deadline (default 3). */
  handoffRepublishLimit?: number;
}

/**
 * The outbox side of `handOff`: a stage records the event that hands the operation on, then publishes it. If
 * the process died or PutEvents failed in between, the operation sits at that step with nobody to move it.
 * Each tick publishes such handoffs again: running operations whose handoff is for their current step, whose
 * step is older than the stall time (counted from the last publish) and that wait on no watch (a pending
 * watch means they wait on AWS, not on an event). Consumers check the step, so a copy that races a slow
 * consumer is ignored as a duplicate.
 */
export async function republishStalledHandoffs(
  deps: StageDeps,
  causationId: string,
  options: HandoffOptions = {},
  running?: OperationInfo[],
): Promise<void> {
  const stallMs = (options.handoffStallMinutes ?? 10) * 60_000;
  const limit = options.handoffRepublishLimit ?? 3;
  const now = deps.clock().getTime();
  for (const operation of running ?? (await deps.store.listByStatus("running"))) {
    const { handoff } = operation;
    if (!handoff) continue;
    if (handoff.publishFailed && handoff.step === operation.step) {
      // Never delivered (its PutEvents failed): published now, whatever the stall time and the limit.
      if (!(await waitsOnWatch(deps, operation)))
        await publishFailedHandoff(deps, operation, handoff, causationId);
      continue;
    }
    if ((handoff.republished ?? 0) >= limit) continue;
    // recordedAt/lastRepublishedAt come from the injected clock (updatedAt is the store's wall clock).
    const quietMs = now - Date.parse(handoff.lastRepublishedAt ?? handoff.recordedAt);
    if (!isStalled(operation, handoff, { now, quietMs, stallMs, leaseMs: leaseMsOf(deps) })) continue;
    if (await waitsOnWatch(deps, operation)) continue;
    try {
      await republish(deps, operation, handoff, causationId, now);
    } catch (error) {
      // One bad handoff must not stop the others; the next tick tries again (within the limit).
      deps.metrics.count(pipelineMetrics.handoffRepublishErrors, 1, { detailType: handoff.detailType });
      deps.logger.error("Could not publish a stalled handoff again", {
        operationId: operation.operationId,
        detailType: handoff.detailType,
        code: errorCodeOf(error),
        message: errorMessageOf(error),
      });
      await audit(deps, operation, {
        stage: "watcher",
        action: "republish-handoff",
        outcome: "failed",
        eventId: causationId,
        details: { step: handoff.step, detailType: handoff.detailType, code: errorCodeOf(error) },
      });
    }
  }
}

async function publishFailedHandoff(
  deps: StageDeps,
  operation: OperationInfo,
  handoff: OperationHandoff,
  causationId: string,
): Promise<void> {
  try {
    await publishRecordedHandoff(deps, operation, handoff);
  } catch (error) {
    deps.metrics.count(pipelineMetrics.handoffRepublishErrors, 1, { detailType: handoff.detailType });
    deps.logger.error("Could not publish a handoff whose publish had failed; the next tick tries again", {
      operationId: operation.operationId,
      detailType: handoff.detailType,
      code: errorCodeOf(error),
      message: errorMessageOf(error),
    });
    return;
  }
  await audit(deps, operation, {
    stage: "watcher",
    action: "republish-handoff",
    outcome: "succeeded",
    eventId: causationId,
    details: { step: handoff.step, detailType: handoff.detailType, reason: "its publish had failed" },
  });
}

/**
 * Two ways an operation stalls with its handoff recorded: nobody took the handoff (the operation is still at
 * the handoff's step after the stall time), or the delivery that took it crashed mid-step (its lease on the
 * next step expired). The second is published again at once, and again each lease period while the lease
 * stays expired; the new delivery takes the expired lease over and resumes (claim.ts).
 */
function isStalled(
  operation: OperationInfo,
  handoff: OperationHandoff,
  times: { now: number; quietMs: number; stallMs: number; leaseMs: number },
): boolean {
  if (handoff.step === operation.step) return times.quietMs > times.stallMs;
  const { lease } = operation;
  if (!lease || lease.step !== operation.step || lease.from !== handoff.step) return false;
  if (Date.parse(lease.expiresAt) > times.now) return false;
  return handoff.lastRepublishedAt === undefined || times.quietMs > times.leaseMs;
}

async function republish(
  deps: StageDeps,
  operation: OperationInfo,
  handoff: OperationHandoff,
  causationId: string,
  now: number,
): Promise<void> {
  const contract: AnyDomainEventContract | undefined = domainEvents.find(
    (c) => c.detailType === handoff.detailType,
  );
  if (!contract) {
    throw new Error(
      `Operation ${operation.operationId} records a handoff of unknown event ${handoff.detailType}; the watcher cannot publish it again.`,
    );
  }
  const attempt = (handoff.republished ?? 0) + 1;
  // Counted before publishing, so a publish that keeps failing still stays within the limit.
  const counted = await deps.store.recordHandoff(
    operation.operationId,
    { step: operation.step, version: operation.version },
    { ...handoff, republished: attempt, lastRepublishedAt: new Date(now).toISOString() },
  );
  if (!counted) return; // It moved on since the listing: nothing is stalled.
  const detail = {
    ...handoffDetailOf(operation, handoff),
    ...metaFor(deps, operation, handoff.causationId),
  } as DomainEventInput<typeof contract>;
  await publish(deps, contract, detail);
  const stalledMinutes = Math.round(
    (now - Date.parse(handoff.lastRepublishedAt ?? handoff.recordedAt)) / 60_000,
  );
  await audit(deps, operation, {
    stage: "watcher",
    action: "republish-handoff",
    outcome: "succeeded",
    eventId: causationId,
    details: { step: handoff.step, detailType: handoff.detailType, attempt, stalledMinutes },
  });
  deps.metrics.count(pipelineMetrics.handoffsRepublished, 1, { detailType: handoff.detailType });
  deps.logger.warn("Published a stalled handoff again", {
    operationId: operation.operationId,
    step: handoff.step,
    detailType: handoff.detailType,
    attempt,
  });
}
