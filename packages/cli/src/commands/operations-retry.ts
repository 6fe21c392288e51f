import { randomUUID } from "node:crypto";
import { type Command, escapeControl, UsageError } from "../io";
import { stageProgress } from "../progress/stage-progress";
import {
  addressFlags,
  deployedStageHelp,
  deployedStageOptions,
  requiredDeployedStage,
} from "../remote/stage-address";
import { jsonOption } from "./common-options";
import { integerFlag } from "./option-values";

export const operationsRetryCommand: Command = {
  path: ["operations", "retry"],
  summary: "Run a failed or stuck operation again on a deployed stage, and follow it",
  operands: "<operationId>",
  options: [
    { flags: "--from-start", description: "run every stage again, instead of resuming where it failed" },
    {
      flags: "--timeout-minutes <n>",
      description: "give up following it after this long, 1 to 2880 (default: 720)",
    },
    { flags: "--no-wait", description: "publish the request, print its event id and how to follow it, exit" },
    jsonOption,
    ...deployedStageOptions,
  ],
  details: [
    "Publishes a RetryRequested event (operationId, fromStart, requestedBy: your AWS principal) on the",
    "stage's bus, waits for the pipeline's answer in the audit trail, then follows the operation like",
    "restore: exit 0 when it succeeded, 1 when it failed or the retry was refused. Ctrl-C stops following",
    "only. A succeeded operation is not retried: start a new refresh with restore.",
    "",
    deployedStageHelp,
  ].join("\n"),
  examples: [
    "aurora-restore operations retry manual-0c7d5e6f --stage production --region eu-west-1",
    "aurora-restore operations retry manual-0c7d5e6f --from-start --stage production --no-wait",
  ],
  async run(parsed, io) {
    const address = await requiredDeployedStage(parsed, "operations retry");
    const [operationId, extra] = parsed.positionals;
    if (!operationId || extra) throw new UsageError("give exactly one operation id (see 'operations list')");
    const timeoutMinutes = integerFlag(parsed, "timeout-minutes", 720, [1, 2880]);
    const { openDeployedStage } = await import("../remote/deployed-stage");
    const { callerName } = await import("../remote/caller");
    const { publishOrFail } = await import("../remote/publish");
    const { followPublished } = await import("../remote/follow-published");
    const { RetryRequested, retryAnswerOf } = await import("../remote/retry-contract");
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
  },
};
