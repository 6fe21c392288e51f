import { randomUUID } from "node:crypto";
import type { AuditEntryInfo } from "@aurora-restore/core/storage/audit";
import type { ParsedArgs } from "../commands/option-values";
import { integerFlag } from "../commands/option-values";
import { type CliIo, escapeControl, UsageError } from "../io";
import { stageProgress } from "../progress/stage-progress";
import type { RequestAnswer } from "./follow-published";
import { addressFlags, type StageAddress } from "./stage-address";

/**
 * The trigger's answer to retry event `eventId` in the operation's trail (stages/trigger/retry.ts): refused
 * (its reason), resumed (follow the operation), or a new operation started for --from-start (follow that).
 */
export function retryAnswerOf(trail: readonly AuditEntryInfo[], eventId: string): RequestAnswer | undefined {
  const answers = trail.filter((e) => e.eventId === eventId && e.action === "retry-operation");
  const rejected = answers.filter((e) => e.outcome === "rejected");
  if (rejected.length > 0) return { refused: rejected.map((e) => String(e.details?.reason ?? "refused")) };
  const started = answers.find((e) => e.outcome === "started");
  if (!started) return undefined;
  const details = started.details ?? {};
  if (typeof details.newOperationId === "string") {
    return {
      accepted: `started ${details.newOperationId} for the same snapshot and target; following it`,
      operationId: details.newOperationId,
    };
  }
  const reused =
    Array.isArray(details.reused) && details.reused.length > 0
      ? `, reusing ${details.reused.join(", ")}`
      : "";
  return { accepted: `retrying at ${String(details.resumeAt)}${reused}; following it` };
}

/** `operations retry <id> --stage s`: publishes RetryRequested on the deployed bus and follows the answer. */
export async function retryOnStage(parsed: ParsedArgs, io: CliIo, address: StageAddress): Promise<number> {
  const [operationId, extra] = parsed.positionals;
  if (!operationId || extra) throw new UsageError("give exactly one operation id (see 'operations list')");
  const timeoutMinutes = integerFlag(parsed, "timeout-minutes", 720, [1, 2880]);
  const { openDeployedStage } = await import("./deployed-stage");
  const { callerName } = await import("./caller");
  const { publishOrFail } = await import("./publish");
  const { followPublished } = await import("./follow-published");
  const { RetryRequested } = await import("@aurora-restore/core/events/domain");
  const stage = await openDeployedStage(address);
  const progress = stageProgress(io);
  try {
    const before = await stage.state.store.get(operationId);
    const shown = escapeControl(operationId);
    if (!before) {
      throw new UsageError(
        `no operation ${shown} in ${stage.state.where} (see 'aurora-restore operations list ${addressFlags(address)}')`,
        1,
      );
    }
    if (before.status === "succeeded") {
      throw new UsageError(
        `${shown} succeeded: nothing to retry (a new refresh is 'aurora-restore restore')`,
        1,
      );
    }
    const entry = RetryRequested.entry(
      {
        operationId: before.operationId,
        correlationId: before.correlationId,
        causationId: randomUUID(),
        occurredAt: new Date().toISOString(),
        fromStart: parsed.flags.has("from-start"),
        requestedBy: await callerName(stage),
      },
      { busName: stage.names.bus },
    );
    const eventId = await publishOrFail(stage, entry);
    const follow = `aurora-restore operations show ${before.operationId} ${addressFlags(address)}`;
    if (parsed.flags.has("no-wait")) {
      if (parsed.flags.has("json")) io.stdout.write(`${JSON.stringify({ operationId, eventId })}\n`);
      else {
        io.stdout.write(`${eventId}\n`);
        io.stderr.write(
          `Published the retry of ${shown} on bus ${stage.names.bus}. Follow it with: ${follow}\n`,
        );
      }
      return 0;
    }
    progress.line(`Published the retry of ${shown} (event ${eventId}); waiting for the pipeline's answer`);
    return await followPublished(stage, io, progress, {
      operationId: before.operationId,
      json: parsed.flags.has("json"),
      timeoutMs: timeoutMinutes * 60_000,
      lookAgain: `See it with: ${follow}`,
      answer: (trail) => retryAnswerOf(trail, eventId),
      noAnswer: `the pipeline has not answered the retry of ${shown} (event ${eventId}): see 'aurora-restore dlq list ${addressFlags(address)}'`,
      // The operation as it was before the request says nothing about the retry: wait for a newer write.
      current: (operation) => operation.version > before.version,
    });
  } finally {
    progress.stop();
    await stage.close();
  }
}
