import type { StageName } from "@aurora-restore/core/events/shapes";
import { type CommandOption, escapeControl, UsageError } from "../io";
import type { DeadLetterQueue } from "../remote/dead-letter-queues";
import type { DeployedStage } from "../remote/deployed-stage";
import { type ParsedArgs, stringFlag } from "./option-values";

/** What the dlq commands share: choosing the queues, and explaining what is in them. */

export const queueOption: CommandOption = {
  flags: "--queue <stage>",
  description: "only the dead-letter queue of this pipeline stage (trigger, prepare, copy...; default: all)",
};

export const maxOption: CommandOption = {
  flags: "--max <n>",
  description: "read at most this many messages per queue, 1 to 1000 (default: 100)",
};

export const queuesHelp = [
  "Each pipeline stage of a deployed stage has a dead-letter queue, aurora-restore-<stage>-<pipeline",
  "stage>-dlq. It holds the events EventBridge could not hand to the function (the message is the event),",
  "the invocations that still failed after Lambda's retries, and the events the function rejected as",
  "invalid (both as Lambda's failure record: the event in requestPayload, the error in responsePayload).",
].join("\n");

/**
 * The deployed stage and its dead-letter queues (every pipeline stage's, or --queue's), found by name:
 * a missing queue is a stage that is not deployed there. The caller closes the stage.
 */
export async function openQueues(
  parsed: ParsedArgs,
  command: string,
): Promise<{ stage: DeployedStage; queues: DeadLetterQueue[] }> {
  const { requiredDeployedStage } = await import("../remote/stage-address");
  const address = await requiredDeployedStage(parsed, command);
  const { stageName } = await import("@aurora-restore/core/events/shapes");
  const only = stringFlag(parsed, "queue");
  if (only !== undefined && !(stageName.options as readonly string[]).includes(only)) {
    throw new UsageError(
      `--queue must be a pipeline stage: ${stageName.options.join(", ")} (got '${escapeControl(only)}')`,
    );
  }
  const { openDeployedStage } = await import("../remote/deployed-stage");
  const { deadLetterQueues } = await import("../remote/dead-letter-queues");
  const stage = await openDeployedStage(address);
  try {
    const wanted = only === undefined ? stageName.options : [only as StageName];
    return { stage, queues: await deadLetterQueues(stage, wanted) };
  } catch (error) {
    await stage.close();
    throw error;
  }
}
