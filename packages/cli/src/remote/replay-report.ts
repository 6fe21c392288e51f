import type { AuditEntryInfo } from "@aurora-restore/core/storage/audit";

/** What one event did to one operation, as its audit entries recorded it. */
export interface EventEffect {
  /** The delivered event's id; entries written without one (the watcher's own checks) share "(none)". */
  eventId: string;
  entries: Pick<AuditEntryInfo, "at" | "stage" | "action" | "outcome">[];
}

export interface TouchedOperation {
  operationId: string;
  events: EventEffect[];
}

/**
 * The audit entries written while (and after) a replay ran, by operation then by event id, in the order
 * they were written: for each event, what the stages did with it (started, succeeded, ignored-duplicate...).
 */
export function replayEffects(entries: readonly AuditEntryInfo[]): TouchedOperation[] {
  const operations = new Map<string, Map<string, EventEffect>>();
  for (const entry of [...entries].sort((a, b) => a.entryId.localeCompare(b.entryId))) {
    const events = operations.get(entry.operationId) ?? new Map<string, EventEffect>();
    operations.set(entry.operationId, events);
    const eventId = entry.eventId ?? "(none)";
    const effect = events.get(eventId) ?? { eventId, entries: [] };
    events.set(eventId, effect);
    effect.entries.push({ at: entry.at, stage: entry.stage, action: entry.action, outcome: entry.outcome });
  }
  return [...operations].map(([operationId, events]) => ({ operationId, events: [...events.values()] }));
}

/** How many entries ended each way ("3 ignored-duplicate, 1 succeeded"). */
export function outcomeCounts(entries: readonly Pick<AuditEntryInfo, "outcome">[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of entries) counts[entry.outcome] = (counts[entry.outcome] ?? 0) + 1;
  return counts;
}
