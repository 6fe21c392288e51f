import { isDeepStrictEqual } from "node:util";
import type { AnyDomainEventContract, DomainEventInput } from "../../events/contract";
import { domainEvents } from "../../events/domain";
import type { EventMetadata } from "../../events/metadata";
import type { OperationStep } from "../../operation/steps";
import type { OperationHandoff, OperationInfo } from "../../storage/operations";
import { flushAudit } from "./audit-buffer";
import type { StageDeps } from "./deps";
import { metaFor, now, publish } from "./publish";

/** Event fields the operation item holds itself: a handoff names them (`inherits`) instead of repeating them. */
const operationFields = ["planId", "target", "sourceSnapshot", "trigger", "requestedBy"] as const;
type OperationFields = Partial<Pick<OperationInfo, (typeof operationFields)[number]>>;

/**
 * The outbox entry for `detail`, the event that hands an operation at `step` to the next stage. Pass it to
 * `advance` (or the store's create) when a transition comes right before the publish; otherwise `handOff`
 * records it. Fields equal to the `operation`'s own (its plan, target, source snapshot...) are left out and
 * named in `inherits`: every write of the operation is billed by the size of the whole item, and
 * RestoreRequested's would repeat ~350 bytes of it. handoffDetailOf puts them back.
 */
export function handoffOf<C extends AnyDomainEventContract>(
  deps: StageDeps,
  step: OperationStep,
  contract: C,
  detail: DomainEventInput<C>,
  operation?: OperationFields,
): OperationHandoff {
  // The metadata is made afresh on a republish; only the payload and the original cause are kept.
  const {
    operationId: _operationId,
    correlationId: _correlationId,
    occurredAt: _occurredAt,
    causationId,
    ...rest
  } = detail as unknown as EventMetadata & Record<string, unknown>;
  const inherits = operationFields.filter(
    (field) => operation?.[field] !== undefined && isDeepStrictEqual(rest[field], operation[field]),
  );
  for (const field of inherits) delete rest[field];
  return {
    step,
    detailType: contract.detailType,
    detail: rest,
    causationId,
    recordedAt: now(deps),
    ...(inherits.length > 0 ? { inherits } : {}),
  };
}

/** The event detail (without metadata) a recorded handoff publishes: its own, plus what it inherits. */
export function handoffDetailOf(
  operation: OperationFields,
  handoff: Pick<OperationHandoff, "detail" | "inherits">,
): Record<string, unknown> {
  const inherited = (handoff.inherits ?? []).flatMap((field) =>
    (operationFields as readonly string[]).includes(field)
      ? [[field, operation[field as keyof OperationFields]] as const]
      : [],
  );
  return { ...Object.fromEntries(inherited), ...(handoff.detail as Record<string, unknown>) };
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
    handoff = handoffOf(deps, operation.step, contract, detail, operation);
    await flushAudit(operation.operationId);
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
  const detail = { ...handoffDetailOf(operation, handoff), ...metaFor(deps, operation, handoff.causationId) };
  await publishHandoff(deps, operation, handoff, contract, detail as DomainEventInput<typeof contract>);
  return handoff.detailType;
}
