import {
  describeOutcome,
  type EventOutcome,
  type EventOutcomeKind,
} from "@aurora-restore/core/operation/event-outcomes";
import { escapeControl } from "../io";

/** The report lines `replay` and `local dlq redrive` print: one per event, then what changed. */

const labels: Record<EventOutcomeKind, [string, string]> = {
  failed: ["failed", "failed"],
  rejected: ["rejected", "rejected"],
  started: ["started an operation", "started operations"],
  resumed: ["resumed an operation", "resumed operations"],
  "ignored-duplicate": ["ignored duplicate", "ignored duplicates"],
  "no-effect": ["no-op", "no-ops"],
};

/** The operations an event names or touched. */
export function operationsOf(outcome: EventOutcome): string[] {
  const ids = [outcome.operationId, ...outcome.effects.map((e) => e.operationId)];
  return [...new Set(ids.filter((id): id is string => id !== undefined))];
}

/** `<event id>  <detail-type> (op-1): ignored duplicate: ...`, everything from the event escaped. */
export function outcomeLine(outcome: EventOutcome, options: { again?: boolean; via?: string } = {}): string {
  const operations = operationsOf(outcome);
  const on = operations.length > 0 ? ` (${operations.join(", ")})` : "";
  const via = options.via ? ` -> ${options.via}` : "";
  return escapeControl(
    `${outcome.eventId}  ${outcome.detailType}${via}${on}: ${describeOutcome(outcome, options)}`,
  );
}

/** "3 ignored duplicates, 1 no-op", most significant first. */
export function countsLine(outcomes: readonly EventOutcome[]): string {
  const counts = new Map<EventOutcomeKind, number>();
  for (const o of outcomes) counts.set(o.kind, (counts.get(o.kind) ?? 0) + 1);
  return (Object.keys(labels) as EventOutcomeKind[])
    .filter((kind) => counts.has(kind))
    .map((kind) => {
      const n = counts.get(kind)!;
      return `${n} ${labels[kind][n === 1 ? 0 : 1]}`;
    })
    .join(", ");
}

/** What the events changed, said plainly, or that they changed nothing. */
export function changesLine(outcomes: readonly EventOutcome[], what: string): string {
  const changed = outcomes.filter((o) => o.changed);
  if (changed.length === 0) {
    return `Nothing changed: the ${what} started, resumed or failed no operation.`;
  }
  const operations = [...new Set(changed.flatMap((o) => o.effects.filter((e) => e.changed)))].map(
    (e) => `${e.kind} ${e.operationId ?? "?"}${e.kind === "resumed" && e.stage ? ` at ${e.stage}` : ""}`,
  );
  return escapeControl(`Changed: ${[...new Set(operations)].join(", ")}.`);
}

/** The outcome with its one-line description, for --json. */
export function outcomeJson(outcome: EventOutcome, options: { again?: boolean } = {}) {
  return { ...outcome, operations: operationsOf(outcome), description: describeOutcome(outcome, options) };
}
