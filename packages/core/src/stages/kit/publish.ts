import type { AnyDomainEventContract, DomainEventInput } from "../../events/contract";
import type { OperationInfo } from "../../storage/operations";
import type { StageDeps } from "./deps";

/** Publishing on the pipeline's bus, with the metadata every event carries. */

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
