import { type Command, escapeControl } from "../io";
import { onStopSignal } from "../stop-signals";
import { jsonOption, stateDirOption } from "./common-options";
import { confirmed, yesOption } from "./confirm";
import { existingStateDir } from "./state-dir-option";

export const localDlqListCommand: Command = {
  path: ["local", "dlq", "list"],
  summary: "List events the local bus could not deliver (its dead-letter queue)",
  options: [jsonOption, stateDirOption],
  examples: ["aurora-restore local dlq list", "aurora-restore local dlq list --json"],
  async run(parsed, io) {
    const { LocalEventBridge } = await import("@aurora-restore/local/eventbridge/index");
    const stateDir = await existingStateDir(parsed);
    const messages = new LocalEventBridge({ stateDir }).listDeadLetters();
    if (parsed.flags.has("json")) {
      io.stdout.write(`${JSON.stringify(messages, null, 2)}\n`);
      return 0;
    }
    if (messages.length === 0) {
      io.stdout.write(`The dead-letter queue in ${stateDir} is empty.\n`);
      return 0;
    }
    for (const m of messages) {
      io.stdout.write(
        `${m.messageId}  ${m.sentAt}  ${m.event["detail-type"]} -> ${m.targetId} (${m.ruleName}) after ${m.attempts} attempt(s): ${m.errorCode}: ${m.errorMessage}\n`,
      );
    }
    io.stdout.write(`Re-drive with: aurora-restore local dlq redrive [<messageId> ...]\n`);
    return 0;
  },
};

export const localDlqRedriveCommand: Command = {
  path: ["local", "dlq", "redrive"],
  summary: "Re-deliver dead-lettered events to the targets that failed them",
  operands: "[messageId...]",
  options: [stateDirOption],
  details: "Without a message id, every dead-lettered event is re-driven.",
  examples: [
    "aurora-restore local dlq redrive",
    "aurora-restore local dlq redrive 6f1c2d3e-0000-4000-8000-000000000001",
  ],
  async run(parsed, io) {
    // The rules live in the running pipeline: start it, re-drive, let the work settle, stop.
    const stateDir = await existingStateDir(parsed);
    const { startLocalRuntime } = await import("@aurora-restore/local/runtime/start-local-runtime");
    const runtime = await startLocalRuntime({ stateDir });
    const removeStopper = onStopSignal(() => runtime.stop().then(() => undefined));
    try {
      const ids = parsed.positionals.length > 0 ? { messageIds: parsed.positionals } : {};
      const result = runtime.bridge.redriveDeadLetters(ids);
      await runtime.idle();
      for (const id of result.redriven) io.stdout.write(`re-driven ${id}\n`);
      for (const s of result.skipped) io.stderr.write(`skipped ${s.messageId}: ${s.reason}\n`);
      const left = runtime.bridge.listDeadLetters().length;
      io.stdout.write(
        `${result.redriven.length} re-driven, ${result.skipped.length} skipped, ${left} in the queue now\n`,
      );
      return result.skipped.length > 0 ? 1 : 0;
    } finally {
      await runtime.stop();
      removeStopper();
    }
  },
};

export const localDlqPurgeCommand: Command = {
  path: ["local", "dlq", "purge"],
  summary: "Delete every dead-lettered event (they can no longer be re-driven)",
  options: [yesOption, stateDirOption],
  details:
    "Like SQS's PurgeQueue on a dead-letter queue: for events you have looked at ('local dlq list') and\n" +
    "will not re-drive. Asks first at a terminal; --yes otherwise.",
  examples: ["aurora-restore local dlq purge --yes"],
  async run(parsed, io) {
    const { LocalEventBridge } = await import("@aurora-restore/local/eventbridge/index");
    const stateDir = await existingStateDir(parsed);
    // The queue is a folder of files, one per message: no runtime is needed, and a running one is not disturbed.
    const queue = new LocalEventBridge({ stateDir }).deadLetters;
    const messages = queue.list();
    if (messages.length === 0) {
      io.stdout.write(`The dead-letter queue in ${escapeControl(stateDir)} is already empty.\n`);
      return 0;
    }
    const question = `Delete the ${messages.length} dead-lettered event(s) in ${escapeControl(stateDir)}?`;
    if (!(await confirmed(parsed, question, io))) return 1;
    const removed = messages.filter((m) => queue.remove(m.messageId)).length;
    io.stdout.write(`Purged ${removed} dead-lettered event(s); the queue is empty.\n`);
    return 0;
  },
};
