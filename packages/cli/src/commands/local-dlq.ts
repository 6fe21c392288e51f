import { type Command, escapeControl } from "../io";
import { onStopSignal } from "../stop-signals";
import { jsonOption, stateDirOption } from "./common-options";
import { confirmed, yesOption } from "./confirm";
import { changesLine, countsLine, outcomeJson, outcomeLine } from "./event-outcome-report";
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
      io.stdout.write(`The dead-letter queue in ${escapeControl(stateDir)} is empty.\n`);
      return 0;
    }
    for (const m of messages) {
      io.stdout.write(
        `${escapeControl(`${m.messageId}  ${m.sentAt}  ${m.event["detail-type"]} -> ${m.targetId} (${m.ruleName}) after ${m.attempts} attempt(s): ${m.errorCode}: ${m.errorMessage}`)}\n`,
      );
    }
    io.stdout.write(`Re-drive with: aurora-restore local dlq redrive [<messageId> ...]\n`);
    return 0;
  },
};

export const localDlqRedriveCommand: Command = {
  path: ["local", "dlq", "redrive"],
  summary: "Re-deliver dead-lettered events to the targets that failed them, and report what each did",
  operands: "[messageId...]",
  options: [jsonOption, stateDirOption],
  details: [
    "Without a message id, every dead-lettered event is re-driven. Starts the local runtime, re-delivers,",
    "lets the pipeline settle and stops; then reports what each event did, from the audit trail: resumed",
    "(a step was claimed or moved on), started (a new operation), ignored duplicate (its work was done",
    "meanwhile), failed or rejected again (back in the queue), no-op. Exit 1 when one failed again or a",
    "message could not be re-driven.",
  ].join("\n"),
  examples: [
    "aurora-restore local dlq redrive",
    "aurora-restore local dlq redrive 6f1c2d3e-0000-4000-8000-000000000001 --json",
  ],
  async run(parsed, io) {
    // The rules live in the running pipeline: start it, re-drive, let the work settle, stop.
    const stateDir = await existingStateDir(parsed);
    const { startLocalRuntime } = await import("@aurora-restore/local/runtime/start-local-runtime");
    const { redriveAndReport } = await import("@aurora-restore/local/runtime/dead-letter-report");
    const runtime = await startLocalRuntime({ stateDir });
    const removeStopper = onStopSignal(() => runtime.stop().then(() => undefined));
    try {
      const ids = parsed.positionals.length > 0 ? { messageIds: parsed.positionals } : {};
      const report = await redriveAndReport(runtime, ids);
      const outcomes = report.redriven.map((r) => r.outcome);
      const failedAgain = outcomes.some((o) => o.kind === "failed" || o.kind === "rejected");
      const code = report.skipped.length > 0 || failedAgain ? 1 : 0;
      if (parsed.flags.has("json")) {
        const json = {
          redriven: report.redriven.map((r) => ({
            messageId: r.messageId,
            targetId: r.targetId,
            ...outcomeJson(r.outcome, { again: true }),
          })),
          skipped: report.skipped,
          changedNothing: !outcomes.some((o) => o.changed),
          leftInQueue: report.leftInQueue,
        };
        io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
        return code;
      }
      for (const s of report.skipped)
        io.stderr.write(`${escapeControl(`skipped ${s.messageId}: ${s.reason}`)}\n`);
      if (report.redriven.length === 0 && report.skipped.length === 0) {
        io.stdout.write(
          `The dead-letter queue in ${escapeControl(stateDir)} is empty: nothing to re-drive.\n`,
        );
        return 0;
      }
      for (const r of report.redriven) {
        io.stdout.write(
          `${escapeControl(r.messageId)}  ${outcomeLine(r.outcome, { again: true, via: r.targetId })}\n`,
        );
      }
      io.stdout.write(
        `${report.redriven.length} re-driven${outcomes.length > 0 ? ` (${countsLine(outcomes)})` : ""}, ${report.skipped.length} skipped, ${report.leftInQueue} in the queue now\n`,
      );
      if (report.redriven.length > 0) io.stdout.write(`${changesLine(outcomes, "redrive")}\n`);
      return code;
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
