import { randomUUID } from "node:crypto";
import { ManualRestoreRequested } from "@aurora-restore/core/events/domain";
import { newManualOperationId, triggerAnswerOf } from "@aurora-restore/local/runtime/manual-restore";
import type { ParsedArgs } from "../commands/option-values";
import { integerFlag } from "../commands/option-values";
import { flagNames, restoreRequestOf } from "../commands/restore-request";
import { type CliIo, UsageError } from "../io";
import { stageProgress } from "../progress/stage-progress";
import { callerName } from "./caller";
import { openDeployedStage } from "./deployed-stage";
import { followPublished } from "./follow-published";
import { publishOrFail } from "./publish";
import { addressFlags, describeAddress, type StageAddress } from "./stage-address";

/**
 * `restore --stage s`: publishes ManualRestoreRequested on the stage's bus (built and validated by the
 * contract, as the local runtime does), waits for the trigger's answer in the audit trail, then follows
 * the operation. --no-wait stops after publishing.
 */
export async function restoreOnStage(parsed: ParsedArgs, io: CliIo, address: StageAddress): Promise<number> {
  if (parsed.flags.has("plan")) {
    throw new UsageError(
      "--plan is for the local runtime: a deployed stage restores with the plans it was deployed with (drop --plan)",
    );
  }
  const request = await restoreRequestOf(parsed);
  const timeoutMinutes = integerFlag(parsed, "timeout-minutes", 720, [1, 2880]);
  const stage = await openDeployedStage(address);
  const progress = stageProgress(io);
  try {
    const operationId = request.operationId ?? newManualOperationId();
    const requestId = randomUUID();
    const entry = ManualRestoreRequested.entry(
      {
        operationId,
        correlationId: requestId,
        causationId: requestId,
        occurredAt: new Date().toISOString(),
        targetClusterId: request.targetClusterId,
        sourceSnapshotDate: request.sourceSnapshotDate,
        requestedBy: await callerName(stage),
      },
      { busName: stage.names.bus },
    );
    const eventId = await publishOrFail(stage, entry);
    const follow = `aurora-restore operations show ${operationId} ${addressFlags(address)}`;
    if (parsed.flags.has("no-wait")) {
      if (parsed.flags.has("json")) io.stdout.write(`${JSON.stringify({ operationId, eventId })}\n`);
      else {
        io.stdout.write(`${eventId}\n`);
        io.stderr.write(
          `Published the restore request for ${request.targetClusterId} (operation ${operationId}) on bus ${stage.names.bus}. Follow it with: ${follow}\n`,
        );
      }
      return 0;
    }
    progress.line(
      `Published the restore request for ${request.targetClusterId} from the ${request.sourceSnapshotDate} snapshot on ${describeAddress(address)} (event ${eventId}); waiting for the trigger`,
    );
    return await followPublished(stage, io, progress, {
      operationId,
      json: parsed.flags.has("json"),
      timeoutMs: timeoutMinutes * 60_000,
      lookAgain: `See it with: ${follow}`,
      answer: (trail) => {
        const answer = triggerAnswerOf(trail, eventId);
        if (!answer) return undefined;
        if ("refused" in answer) return { refused: answer.refused.map(flagNames) };
        return {
          accepted:
            answer.outcome === "started"
              ? `operation ${operationId} started; following it`
              : `operation ${operationId} was already started by this request; following it`,
        };
      },
      noAnswer: `the trigger has not answered restore request ${operationId} (event ${eventId}) yet: see 'aurora-restore dlq list ${addressFlags(address)}' and the trigger function's logs`,
    });
  } finally {
    progress.stop();
    await stage.close();
  }
}
