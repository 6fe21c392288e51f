import type { AuditEntryInfo } from "../storage/audit";
import { terminalSteps } from "./steps";

/**
 * What one delivered event did, read from what the stages recorded for its id: the audit trail, and the
 * dead-letter queue when its delivery failed. Used after an archive replay and a dead-letter re-drive
 * (locally and against a deployed stage alike) to tell a no-op from work that resumed or started.
 */

/** An event whose effect is reported. `operationId` is the one its detail names, if any. */
export interface ReportedEvent {
  eventId: string;
  detailType: string;
  operationId?: string;
}

/** A delivery of the event that ended in a dead-letter queue. */
export interface DeliveryFailure {
  eventId: string;
  /** The stage (rule target) whose delivery failed. */
  stage?: string;
  error: string;
  /** Not retriable: the event is refused as it is (invalid, or a refusal such as a busy target). */
  rejected: boolean;
}

/** From most to least significant: an event that did several things is reported by the first. */
export const eventOutcomeKinds = [
  "failed",
  "rejected",
  "started",
  "resumed",
  "ignored-duplicate",
  "no-effect",
] as const;
export type EventOutcomeKind = (typeof eventOutcomeKinds)[number];

/** What the event did to one operation (or, with no operation, to its delivery). */
export interface EventEffect {
  kind: EventOutcomeKind;
  operationId?: string;
  /** The stage that recorded it (the first one, for an operation several stages recorded). */
  stage?: string;
  /** The operation's step the stage recorded, when it did. */
  step?: string;
  reason?: string;
  /** True when it changed an operation: started one, moved one on, or failed one. */
  changed: boolean;
}

export interface EventOutcome extends ReportedEvent {
  kind: EventOutcomeKind;
  effects: EventEffect[];
  changed: boolean;
}

type AuditLike = Pick<AuditEntryInfo, "operationId" | "stage" | "action" | "outcome" | "eventId" | "details">;

const rank = (kind: EventOutcomeKind) => eventOutcomeKinds.indexOf(kind);
const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);

function kindOf(entry: AuditLike): EventOutcomeKind {
  switch (entry.outcome) {
    case "rejected":
      return "rejected";
    case "failed":
      return "failed";
    case "ignored-duplicate":
      return "ignored-duplicate";
    // Only the trigger's start-operation creates an operation; every other start or success is a step's work.
    default:
      return entry.action === "start-operation" && entry.outcome === "started" ? "started" : "resumed";
  }
}

function reasonOf(kind: EventOutcomeKind, entries: readonly AuditLike[]): string | undefined {
  const details = entries.map((e) => e.details ?? {});
  if (kind === "ignored-duplicate") {
    // An ended operation is the common case after a replay: say so rather than a stage's own wording.
    const steps = details.map((d) => text(d.step));
    const ended = steps.find(
      (step) => step !== undefined && (terminalSteps as ReadonlySet<string>).has(step),
    );
    if (ended)
      return ended === "completed" ? "the operation already completed" : "the operation already failed";
    const reason = details.map((d) => text(d.reason)).find(Boolean);
    const step = steps.find(Boolean);
    return reason ?? (step ? `the operation is at ${step}` : undefined);
  }
  if (kind === "failed" || kind === "rejected") {
    return details.map((d) => text(d.message) ?? text(d.reason) ?? text(d.code)).find(Boolean);
  }
  return undefined;
}

/** One effect per operation the event's audit entries name, by its most significant entry. */
function auditEffects(entries: readonly AuditLike[]): EventEffect[] {
  const byOperation = new Map<string, AuditLike[]>();
  for (const entry of entries) {
    byOperation.set(entry.operationId, [...(byOperation.get(entry.operationId) ?? []), entry]);
  }
  return [...byOperation].map(([operationId, mine]) => {
    const kind = mine.map(kindOf).reduce((a, b) => (rank(b) < rank(a) ? b : a));
    const first = mine.find((e) => kindOf(e) === kind)!;
    const step = text(first.details?.step);
    const reason = reasonOf(
      kind,
      mine.filter((e) => kindOf(e) === kind),
    );
    return {
      kind,
      operationId,
      stage: first.stage,
      ...(step ? { step } : {}),
      ...(reason ? { reason } : {}),
      changed: kind === "started" || kind === "resumed" || kind === "failed",
    };
  });
}

/**
 * Classifies each event by the audit entries with its id and its failed deliveries. Pass only what was
 * recorded since the replay or re-drive began: earlier entries are the event's first delivery.
 */
export function classifyEventOutcomes(
  events: readonly ReportedEvent[],
  entries: readonly AuditLike[],
  failures: readonly DeliveryFailure[] = [],
): EventOutcome[] {
  return events.map((event) => {
    const effects = auditEffects(entries.filter((e) => e.eventId === event.eventId));
    for (const failure of failures.filter((f) => f.eventId === event.eventId)) {
      effects.push({
        kind: failure.rejected ? "rejected" : "failed",
        ...(event.operationId ? { operationId: event.operationId } : {}),
        ...(failure.stage ? { stage: failure.stage } : {}),
        reason: failure.error,
        changed: false,
      });
    }
    if (effects.length === 0) effects.push({ kind: "no-effect", changed: false });
    const kind = effects.map((e) => e.kind).reduce((a, b) => (rank(b) < rank(a) ? b : a));
    return { ...event, kind, effects, changed: effects.some((e) => e.changed) };
  });
}

/** How an effect reads in a report, e.g. "resumed op-1 at configure", "ignored duplicate: ...". */
export function describeEffect(effect: EventEffect, options: { again?: boolean } = {}): string {
  const operation = effect.operationId ? ` ${effect.operationId}` : "";
  const why = effect.reason ? `: ${effect.reason}` : "";
  const again = options.again ? " again" : "";
  switch (effect.kind) {
    case "started":
      return `started${operation}`;
    case "resumed":
      return `resumed${operation} at ${effect.stage ?? effect.step ?? "its step"}`;
    case "failed":
      // An audited failure ended the operation; a failed delivery only went back to the dead-letter queue.
      return effect.changed ? `failed${operation} in ${effect.stage}${why}` : `failed${again}${why}`;
    case "rejected":
      return `rejected${again}${why}`;
    case "ignored-duplicate":
      return `ignored duplicate${why}`;
    case "no-effect":
      return "no-op: no stage recorded anything for it";
  }
}

/** Every effect of the event, most significant first, each said once: one line of a report. */
export function describeOutcome(outcome: EventOutcome, options: { again?: boolean } = {}): string {
  const said = [...outcome.effects]
    .sort((a, b) => rank(a.kind) - rank(b.kind))
    .map((e) => describeEffect(e, options));
  return [...new Set(said)].join("; ");
}
