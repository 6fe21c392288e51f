import { type Command, UsageError } from "../io";
import { deployedStageHelp, deployedStageOptions } from "../remote/stage-address";
import { openQueues, queueOption, queuesHelp } from "./dlq-queues";

export const dlqPurgeCommand: Command = {
  path: ["dlq", "purge"],
  summary: "Delete every message of a deployed stage's dead-letter queues",
  options: [
    queueOption,
    { flags: "--yes", description: "do not ask; required when stdin is not a terminal" },
    ...deployedStageOptions,
  ],
  details: [
    queuesHelp,
    "PurgeQueue on each queue (every pipeline stage's, or --queue's): the events in them are gone for good",
    "(the archive still has them for 'aurora-restore replay'). At a terminal it asks first; elsewhere it",
    "refuses without --yes. SQS allows one purge per queue every 60 seconds.",
    "",
    deployedStageHelp,
  ].join("\n"),
  examples: [
    "aurora-restore dlq purge --stage dev-jane --region eu-west-1",
    "aurora-restore dlq purge --stage dev-jane --queue verify --yes",
  ],
  async run(parsed, io) {
    const { approximateCount, purge } = await import("../remote/dead-letter-queues");
    const { stage, queues } = await openQueues(parsed, "dlq purge");
    try {
      const counts = await Promise.all(queues.map((queue) => approximateCount(stage, queue)));
      const total = counts.reduce((sum, n) => sum + n, 0);
      const question = `Delete about ${total} message(s) from ${queues.length} dead-letter queue(s) of ${stage.state.where}?`;
      if (!parsed.flags.has("yes")) {
        if (!io.confirm) {
          throw new UsageError(
            `${question.replace(/\?$/, "")}: refusing without --yes when not at a terminal (add --yes)`,
          );
        }
        if (!(await io.confirm(question))) {
          io.stderr.write("Nothing was purged.\n");
          return 1;
        }
      }
      let failed = 0;
      for (const [i, queue] of queues.entries()) {
        try {
          await purge(stage, queue);
          io.stdout.write(`purged ${queue.name} (about ${counts[i]} message(s))\n`);
        } catch (error) {
          failed++;
          io.stdout.write(`not purged ${queue.name}: ${(error as Error).message}\n`);
        }
      }
      return failed === 0 ? 0 : 1;
    } finally {
      await stage.close();
    }
  },
};
