import type { Command } from "../io";
import { addressFlags, deployedStageHelp, deployedStageOptions } from "../remote/stage-address";
import { textTable } from "../table";
import { jsonOption } from "./common-options";
import { maxOption, openQueues, queueOption, queuesHelp } from "./dlq-queues";
import { integerFlag } from "./option-values";

/** Seconds a listed message stays hidden if making it visible again fails. */
const hideSeconds = 30;

export const dlqListCommand: Command = {
  path: ["dlq", "list"],
  summary: "List the dead-lettered events of a deployed stage, from every pipeline stage's queue",
  options: [queueOption, maxOption, jsonOption, ...deployedStageOptions],
  details: [
    queuesHelp,
    "For each message: its queue, id, when it was sent, the original event's detail-type, the operation it",
    "names and the error. Listing changes nothing: messages are hidden while the queues are read, then",
    "made visible again.",
    "",
    deployedStageHelp,
  ].join("\n"),
  examples: [
    "aurora-restore dlq list --stage production --region eu-west-1",
    "aurora-restore dlq list --stage production --queue configure --json",
  ],
  async run(parsed, io) {
    const max = integerFlag(parsed, "max", 100, [1, 1000]);
    const { receiveAll, release } = await import("../remote/dead-letter-queues");
    const { readDeadLetter } = await import("../remote/dead-letter-message");
    const { stage, queues } = await openQueues(parsed, "dlq list");
    try {
      const perQueue = await Promise.all(
        queues.map(async (queue) => {
          const messages = await receiveAll(stage, queue, { max, hideSeconds });
          const [problem] = await release(stage, queue, messages);
          if (problem) {
            io.stderr.write(
              `warning: ${queue.name}: the listed messages stay hidden for ${hideSeconds} s (${problem})\n`,
            );
          }
          return messages.map((m) => readDeadLetter(queue.stage, m));
        }),
      );
      const letters = perQueue.flat().sort((a, b) => (a.sentAt ?? "").localeCompare(b.sentAt ?? ""));
      if (parsed.flags.has("json")) {
        io.stdout.write(`${JSON.stringify(letters, null, 2)}\n`);
        return 0;
      }
      if (letters.length === 0) {
        io.stdout.write(`The dead-letter queues of ${stage.state.where} are empty.\n`);
        return 0;
      }
      io.stdout.write(
        textTable(
          ["QUEUE", "MESSAGE", "SENT", "EVENT", "OPERATION", "ERROR"],
          letters.map((l) => [
            l.queue,
            l.messageId,
            l.sentAt ?? "",
            l.event?.detailType ?? `(${l.kind})`,
            l.operationId ?? "",
            l.error.length > 160 ? `${l.error.slice(0, 157)}...` : l.error,
          ]),
        ),
      );
      io.stdout.write(
        `Re-drive with: aurora-restore dlq redrive [<messageId> ...] ${addressFlags(stage.address)}\n`,
      );
      return 0;
    } finally {
      await stage.close();
    }
  },
};
