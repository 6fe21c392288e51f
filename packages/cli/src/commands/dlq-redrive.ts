import type { Message } from "@aws-sdk/client-sqs";
import { type Command, escapeControl } from "../io";
import type { DeadLetter } from "../remote/dead-letter-message";
import type { DeadLetterQueue } from "../remote/dead-letter-queues";
import type { RedriveOutcome } from "../remote/redrive";
import { deployedStageHelp, deployedStageOptions } from "../remote/stage-address";
import { jsonOption } from "./common-options";
import { maxOption, openQueues, queueOption, queuesHelp } from "./dlq-queues";
import { integerFlag } from "./option-values";

/** Long enough to publish and delete every message read, before any comes back for another reader. */
const hideSeconds = 300;

type Received = { queue: DeadLetterQueue; message: Message; letter: DeadLetter };

function what(letter: DeadLetter): string {
  const event = letter.event ? letter.event.detailType : letter.kind;
  const operation = letter.operationId ? ` of ${letter.operationId}` : "";
  return `${event}${operation}, ${letter.queue} queue`;
}

function line(outcome: RedriveOutcome, letter: DeadLetter): string {
  const head = `${outcome.messageId} (${what(letter)})`;
  if (outcome.result === "redriven")
    return `redriven ${head}: published as event ${outcome.eventId}, deleted`;
  if (outcome.result === "published-not-deleted") {
    return `published ${head} as event ${outcome.eventId}, NOT deleted: ${outcome.reason}`;
  }
  return `kept ${head}: ${outcome.reason}`;
}

export const dlqRedriveCommand: Command = {
  path: ["dlq", "redrive"],
  summary: "Publish dead-lettered events again on a deployed stage's bus, then delete them",
  operands: "[messageId...]",
  options: [queueOption, maxOption, jsonOption, ...deployedStageOptions],
  details: [
    queuesHelp,
    "Each message's original event (unwrapped from Lambda's record) is published again on the stage's bus",
    "with PutEvents, and the message is deleted only after the put succeeded; a refused put keeps it.",
    "Without a message id, every message is re-driven. aws.* events (RDS, the watcher's schedule) cannot",
    "be published by PutEvents: they are kept (the watcher reconciles what they would have started).",
    "Fix the cause first: an event that fails again comes back to the queue.",
    "",
    deployedStageHelp,
  ].join("\n"),
  examples: [
    "aurora-restore dlq redrive --stage production --region eu-west-1",
    "aurora-restore dlq redrive 0f3c2b1a-6d4e-4f7a-9b8c-1d2e3f405162 --stage production",
  ],
  async run(parsed, io) {
    const max = integerFlag(parsed, "max", 100, [1, 1000]);
    const { receiveAll, release } = await import("../remote/dead-letter-queues");
    const { readDeadLetter } = await import("../remote/dead-letter-message");
    const { redriveOne } = await import("../remote/redrive");
    const { stage, queues } = await openQueues(parsed, "dlq redrive");
    try {
      const received: Received[] = (
        await Promise.all(
          queues.map(async (queue) =>
            (
              await receiveAll(stage, queue, { max, hideSeconds })
            ).map((message) => ({
              queue,
              message,
              letter: readDeadLetter(queue.stage, message),
            })),
          ),
        )
      ).flat();
      const asked = new Set(parsed.positionals);
      const chosen = asked.size === 0 ? received : received.filter((r) => asked.has(r.letter.messageId));
      const results: { outcome: RedriveOutcome; letter: DeadLetter }[] = [];
      // One at a time: each delete follows its own put.
      for (const r of chosen)
        results.push({ outcome: await redriveOne(stage, r.queue, r.message, r.letter), letter: r.letter });
      const kept = new Set(results.filter((r) => r.outcome.result === "kept").map((r) => r.letter.messageId));
      for (const queue of queues) {
        const back = received.filter(
          (r) => r.queue === queue && (!chosen.includes(r) || kept.has(r.letter.messageId)),
        );
        await release(
          stage,
          queue,
          back.map((r) => r.message),
        );
      }
      const missing = [...asked].filter((id) => !received.some((r) => r.letter.messageId === id));
      if (parsed.flags.has("json")) {
        const listed = results.map((r) => ({
          ...r.outcome,
          queue: r.letter.queue,
          event: r.letter.event?.detailType,
        }));
        io.stdout.write(`${JSON.stringify({ results: listed, notFound: missing }, null, 2)}\n`);
      } else {
        for (const r of results) io.stdout.write(`${line(r.outcome, r.letter)}\n`);
        for (const id of missing) {
          io.stdout.write(
            `not found ${escapeControl(id)}: in no dead-letter queue of ${stage.state.where}\n`,
          );
        }
        const redriven = results.filter((r) => r.outcome.result === "redriven").length;
        io.stdout.write(
          `${redriven} re-driven, ${results.length - redriven} not, ${missing.length} not found (${stage.state.where})\n`,
        );
      }
      return results.every((r) => r.outcome.result === "redriven") && missing.length === 0 ? 0 : 1;
    } finally {
      await stage.close();
    }
  },
};
