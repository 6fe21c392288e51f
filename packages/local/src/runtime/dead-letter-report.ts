import type { EventOutcome } from "@aurora-restore/core/operation/event-outcomes";
import type { RedriveResult } from "../eventbridge/index";
import { outcomesSince } from "./recorded-outcomes";
import type { LocalRuntime } from "./start-local-runtime";

export interface RedrivenEvent {
  messageId: string;
  /** The rule target (stage) the event was re-delivered to. */
  targetId: string;
  outcome: EventOutcome;
}

export interface RedriveReport {
  redriven: RedrivenEvent[];
  skipped: RedriveResult["skipped"];
  leftInQueue: number;
}

/**
 * Re-drives dead letters on the running pipeline, lets it settle, and reads what each re-driven event did
 * (the classification `replay` uses): resumed a step, started an operation, found its work done, or failed
 * again (a new dead letter of the same event).
 */
export async function redriveAndReport(
  runtime: LocalRuntime,
  options: { messageIds?: string[] } = {},
): Promise<RedriveReport> {
  const messages = new Map(runtime.bridge.listDeadLetters().map((m) => [m.messageId, m]));
  const since = new Date();
  const result = runtime.bridge.redriveDeadLetters(options);
  await runtime.idle();
  const redriven = result.redriven.map((messageId) => messages.get(messageId)!);
  const outcomes = await outcomesSince(
    runtime,
    redriven.map(({ event }) => ({
      eventId: event.id,
      detailType: event["detail-type"],
      ...(typeof event.detail.operationId === "string" ? { operationId: event.detail.operationId } : {}),
    })),
    since,
  );
  return {
    redriven: redriven.map((m, i) => ({
      messageId: m.messageId,
      targetId: m.targetId,
      outcome: outcomes[i]!,
    })),
    skipped: result.skipped,
    leftInQueue: runtime.bridge.listDeadLetters().length,
  };
}
