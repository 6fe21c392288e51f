import { randomUUID } from "node:crypto";
import { RetryRequested } from "@aurora-restore/core/events/domain";
import type { LocalRuntime } from "./start-local-runtime";

export interface RetryInput {
  operationId: string;
  fromStart: boolean;
  requestedBy: string;
}

/** The trigger's answer to a retry request. */
export type RetryAnswer =
  | { outcome: "resumed"; operationId: string; eventId: string; resumeAt: string; reused: string[] }
  | { outcome: "started"; operationId: string; eventId: string; previousOperationId: string };

/** The trigger refused the retry (not failed, target busy...); `reason` says what to do. */
export class RetryRefusedLocallyError extends Error {
  override name = "RetryRefusedLocallyError";
  constructor(
    readonly operationId: string,
    readonly reason: string,
  ) {
    super(`The retry of ${operationId} was refused: ${reason}`);
  }
}

type RuntimeParts = Pick<LocalRuntime, "audit" | "bridge" | "busName" | "depsFor">;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Publishes RetryRequested on the runtime's pipeline bus (what `aurora-restore operations retry` does, locally
 * and on a deployed stage) and waits for the trigger's answer in the operation's audit trail: resumed at a
 * stage, a new operation started (--from-start), or refused. A request delivered early (the failed run still
 * being cleaned up) is delivered again by the bus, so the wait goes on until the timeout.
 */
export async function requestRetry(
  runtime: RuntimeParts,
  input: RetryInput,
  options: { timeoutMs?: number; pollMs?: number } = {},
): Promise<RetryAnswer> {
  const deps = runtime.depsFor("cli");
  const requestId = randomUUID();
  const entry = RetryRequested.entry(
    {
      operationId: input.operationId,
      correlationId: requestId,
      causationId: requestId,
      occurredAt: deps.clock().toISOString(),
      fromStart: input.fromStart,
      requestedBy: input.requestedBy,
    },
    { busName: runtime.busName },
  );
  const result = await deps.publisher.putEvents([entry]);
  const eventId = result.Entries[0]?.EventId;
  if (!eventId) throw new Error(`The pipeline bus ${runtime.busName} gave no event id for the retry request`);
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const answers = (await runtime.audit.listByOperation(input.operationId)).filter(
      (e) => e.eventId === eventId && e.action === "retry-operation",
    );
    const started = answers.find((e) => e.outcome === "started");
    if (started) {
      const details = started.details ?? {};
      if (typeof details.newOperationId === "string") {
        return {
          outcome: "started",
          operationId: details.newOperationId,
          eventId,
          previousOperationId: input.operationId,
        };
      }
      return {
        outcome: "resumed",
        operationId: input.operationId,
        eventId,
        resumeAt: String(details.resumeAt),
        reused: Array.isArray(details.reused) ? details.reused.map(String) : [],
      };
    }
    const rejected = answers.find((e) => e.outcome === "rejected");
    if (rejected) throw new RetryRefusedLocallyError(input.operationId, String(rejected.details?.reason));
    const dead = runtime.bridge.listDeadLetters().find((m) => m.event.id === eventId);
    if (dead)
      throw new RetryRefusedLocallyError(input.operationId, `${dead.errorCode}: ${dead.errorMessage}`);
    if (Date.now() > deadline) {
      throw new Error(
        `The trigger did not answer the retry of ${input.operationId} (event ${eventId}) in time; see <state>/logs/pipeline.log and 'aurora-restore local dlq list'.`,
      );
    }
    await sleep(options.pollMs ?? 100);
  }
}
