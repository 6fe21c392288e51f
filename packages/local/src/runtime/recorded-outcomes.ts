import {
  classifyEventOutcomes,
  type DeliveryFailure,
  type EventOutcome,
  type ReportedEvent,
} from "@aurora-restore/core/operation/event-outcomes";
import { targetKeyOf } from "@aurora-restore/core/operation/ids";
import type { AuditEntryInfo } from "@aurora-restore/core/storage/audit";
import type { DeadLetterMessage } from "../eventbridge/index";
import { listAllOperations } from "./open-state";
import type { LocalRuntime } from "./start-local-runtime";

type RecordsOf = Pick<LocalRuntime, "store" | "audit" | "plans" | "bridge">;

/**
 * The audit entries written since `since`: of one operation, or of every operation and every planned target
 * (a refused start is audited under an operation that was never created, found through its target).
 */
export async function auditEntriesSince(
  runtime: RecordsOf,
  since: Date,
  operationId?: string,
): Promise<AuditEntryInfo[]> {
  const after = since.toISOString();
  const lists: Promise<AuditEntryInfo[]>[] = [];
  if (operationId) lists.push(runtime.audit.listByOperation(operationId));
  else {
    for (const o of await listAllOperations(runtime.store))
      lists.push(runtime.audit.listByOperation(o.operationId));
    const plans = await runtime.plans.list().catch(() => []);
    for (const target of plans.flatMap((p) => p.targets)) {
      lists.push(runtime.audit.listByTarget(targetKeyOf(target)));
    }
  }
  const unique = new Map<string, AuditEntryInfo>();
  for (const entry of (await Promise.all(lists)).flat()) {
    if (entry.at >= after) unique.set(`${entry.operationId} ${entry.entryId}`, entry);
  }
  return [...unique.values()];
}

/** A dead letter as a failed delivery: not retriable means the event is refused as it is. */
export function deliveryFailureOf(message: DeadLetterMessage): DeliveryFailure {
  return {
    eventId: message.event.id,
    stage: message.targetId,
    error: message.errorMessage || message.errorCode,
    rejected: !message.retriable,
  };
}

/**
 * What each event did since `since`: the stages' audit entries with its id, and its deliveries that were
 * dead-lettered since then (classified by core's event-outcomes.ts).
 */
export async function outcomesSince(
  runtime: RecordsOf,
  events: readonly ReportedEvent[],
  since: Date,
  operationId?: string,
): Promise<EventOutcome[]> {
  const ids = new Set(events.map((e) => e.eventId));
  const entries = (await auditEntriesSince(runtime, since, operationId)).filter(
    (e) => e.eventId !== undefined && ids.has(e.eventId),
  );
  const failures = runtime.bridge
    .listDeadLetters()
    .filter((m) => ids.has(m.event.id) && Date.parse(m.sentAt) >= since.getTime())
    .map(deliveryFailureOf);
  return classifyEventOutcomes(events, entries, failures);
}
