import { randomUUID } from "node:crypto";
import { ManualRestoreRequested } from "@aurora-restore/core/events/domain";
import { parseManualRequest } from "@aurora-restore/core/stages/trigger";
import type { AuditEntryInfo } from "@aurora-restore/core/storage/audit";
import type { LocalRuntime } from "./start-local-runtime";

/** What `aurora-restore restore` asks for; the operation id is generated when absent. */
export interface ManualRestoreInput {
  targetClusterId: string;
  /** YYYY-MM-DD (UTC). */
  sourceSnapshotDate: string;
  operationId?: string;
  requestedBy: string;
}

/** The trigger refused the request; `reasons` are its audited reasons (each names the field to change). */
export class ManualRestoreRefusedError extends Error {
  override name = "ManualRestoreRefusedError";
  constructor(
    readonly operationId: string,
    readonly reasons: string[],
  ) {
    super(`The restore request ${operationId} was refused: ${reasons.join("; ")}`);
  }
}

export interface ManualRestoreStart {
  operationId: string;
  /** The ManualRestoreRequested event's id (every audit entry of the trigger's answer carries it). */
  eventId: string;
  /** started: a new operation; duplicate: the same request had already started it (followed again). */
  outcome: "started" | "duplicate";
}

export interface RequestOptions {
  /** How long to wait for the trigger's answer (default 60 s). */
  timeoutMs?: number;
  pollMs?: number;
  sleep?(ms: number): Promise<void>;
  now?(): number;
}

type RuntimeParts = Pick<LocalRuntime, "store" | "audit" | "bridge" | "busName" | "depsFor">;

/** A new operation id for a request that did not name one. */
export function newManualOperationId(): string {
  return `manual-${randomUUID()}`;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Publishes ManualRestoreRequested on the runtime's pipeline bus (as the CLI's `restore` does) and waits for
 * the trigger's answer: the operation it started, or a ManualRestoreRefusedError with the audited reasons
 * (no snapshot that day, an unplanned target, a busy target...). A malformed request is refused before
 * anything is published, with a ManualRequestError naming each field.
 */
export async function requestManualRestore(
  runtime: RuntimeParts,
  input: ManualRestoreInput,
  options: RequestOptions = {},
): Promise<ManualRestoreStart> {
  const clock = runtime.depsFor("cli").clock;
  const request = parseManualRequest(input, clock());
  const operationId = request.operationId ?? newManualOperationId();
  const requestId = randomUUID();
  const entry = ManualRestoreRequested.entry(
    {
      operationId,
      correlationId: requestId,
      causationId: requestId,
      occurredAt: clock().toISOString(),
      targetClusterId: request.targetClusterId,
      sourceSnapshotDate: request.sourceSnapshotDate,
      requestedBy: input.requestedBy,
    },
    { busName: runtime.busName },
  );
  const result = await runtime.depsFor("cli").publisher.putEvents([entry]);
  const eventId = result.Entries[0]?.EventId;
  if (!eventId) throw new Error(`The pipeline bus ${runtime.busName} gave no event id for the request`);
  return { operationId, eventId, outcome: await triggerAnswer(runtime, operationId, eventId, options) };
}

/** Polls the audit trail (and the dead-letter queue) for what the trigger made of event `eventId`. */
async function triggerAnswer(
  runtime: RuntimeParts,
  operationId: string,
  eventId: string,
  options: RequestOptions,
): Promise<ManualStartOutcome> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = now() + timeoutMs;
  for (;;) {
    const answer = triggerAnswerOf(await runtime.audit.listByOperation(operationId), eventId);
    if (answer && "refused" in answer) throw new ManualRestoreRefusedError(operationId, answer.refused);
    if (answer) return answer.outcome;
    const dead = runtime.bridge.listDeadLetters().find((m) => m.event.id === eventId);
    if (dead) throw new ManualRestoreRefusedError(operationId, [`${dead.errorCode}: ${dead.errorMessage}`]);
    if (now() > deadline) {
      throw new Error(
        `The trigger did not answer restore request ${operationId} (event ${eventId}) within ${Math.round(timeoutMs / 1000)} s; see <state>/logs/pipeline.log and 'aurora-restore local dlq list'.`,
      );
    }
    await sleep(options.pollMs ?? 100);
  }
}

type ManualStartOutcome = ManualRestoreStart["outcome"];

/**
 * What the trigger made of the request event `eventId`, read from the operation's audit trail: a start, a
 * duplicate of a request that had started it, or a refusal with its audited reasons; undefined while the
 * trail holds no answer yet. The CLI reads a deployed stage's trail the same way.
 */
export function triggerAnswerOf(
  trail: readonly Pick<AuditEntryInfo, "eventId" | "action" | "outcome" | "stage" | "details">[],
  eventId: string,
): { outcome: ManualStartOutcome } | { refused: string[] } | undefined {
  const answers = trail.filter((e) => e.eventId === eventId);
  // A start wins over a refusal of a redelivery of the same event (at-least-once delivery).
  const starts = answers.filter((e) => e.action === "start-operation");
  if (starts.some((e) => e.outcome === "started")) return { outcome: "started" };
  const rejected = answers.filter((e) => e.outcome === "rejected");
  if (rejected.length > 0) {
    return { refused: rejected.map((e) => String(e.details?.reason ?? `${e.stage} ${e.action}`)) };
  }
  if (starts.some((e) => e.outcome === "ignored-duplicate")) return { outcome: "duplicate" };
  return undefined;
}
