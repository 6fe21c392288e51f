import { type Command, escapeControl, UsageError } from "../io";
import { operationView } from "../operation-view";
import { formatDuration } from "../progress/format-duration";
import { onStopSignal } from "../stop-signals";
import { textTable } from "../table";
import { jsonOption, stateDirOption } from "./common-options";
import { stringFlag } from "./option-values";
import { existingStateDir } from "./state-dir-option";

const statuses = ["running", "succeeded", "failed"];

export const operationsListCommand: Command = {
  path: ["operations", "list"],
  summary: "List restore operations on the local runtime (newest first)",
  options: [
    {
      flags: "--status <status>",
      description: "only operations with this status: running, succeeded or failed",
    },
    jsonOption,
    stateDirOption,
  ],
  examples: ["aurora-restore operations list", "aurora-restore operations list --status failed --json"],
  async run(parsed, io) {
    const { listAllOperations, openLocalState } = await import("@aurora-restore/local/runtime/open-state");
    const status = stringFlag(parsed, "status");
    if (status && !statuses.includes(status)) {
      throw new UsageError(`--status must be running, succeeded or failed (got '${escapeControl(status)}')`);
    }
    const state = await openLocalState({ stateDir: await existingStateDir(parsed) });
    const removeStopper = onStopSignal(() => state.close().then(() => undefined));
    try {
      const all = await listAllOperations(state.store);
      const operations = status ? all.filter((o) => o.status === status) : all;
      if (parsed.flags.has("json")) {
        io.stdout.write(`${JSON.stringify(operations.map(operationView), null, 2)}\n`);
        return 0;
      }
      if (operations.length === 0) {
        io.stdout.write(`No operations in ${state.stateDir}. Run 'npm start' to refresh the demo target.\n`);
        return 0;
      }
      io.stdout.write(
        textTable(
          ["OPERATION", "STATUS", "STEP", "TARGET", "CREATED", "PLAN"],
          operations.map((op) => [op.operationId, op.status, op.step, op.targetKey, op.createdAt, op.planId]),
        ),
      );
      return 0;
    } finally {
      await state.close();
      removeStopper();
    }
  },
};

export const operationsShowCommand: Command = {
  path: ["operations", "show"],
  summary: "Show one operation: step, stage durations, outputs, error",
  operands: "<operationId>",
  options: [jsonOption, stateDirOption],
  details:
    "The pipeline's own bookkeeping (the claim on the current step, the event it hands on, the record's\n" +
    "version) is left out, of --json too: it says nothing about the refresh.",
  examples: [
    "aurora-restore operations show op-3f2a9c1e",
    "aurora-restore operations show op-3f2a9c1e --json",
  ],
  async run(parsed, io) {
    const { openLocalState } = await import("@aurora-restore/local/runtime/open-state");
    const { stageTimings } = await import("@aurora-restore/local/runtime/operation-progress");
    const [operationId, extra] = parsed.positionals;
    if (!operationId || extra) throw new UsageError("give exactly one operation id (see 'operations list')");
    const state = await openLocalState({ stateDir: await existingStateDir(parsed) });
    const removeStopper = onStopSignal(() => state.close().then(() => undefined));
    try {
      const operation = await state.store.get(operationId);
      if (!operation) {
        throw new UsageError(
          `no operation ${escapeControl(operationId)} in ${escapeControl(state.stateDir)} (see 'aurora-restore operations list')`,
          1,
        );
      }
      const trail = await state.audit.listByOperation(operationId);
      const stages = stageTimings(operation, trail);
      if (parsed.flags.has("json")) {
        io.stdout.write(`${JSON.stringify({ ...operationView(operation), stages }, null, 2)}\n`);
        return 0;
      }
      const lines = [
        `Operation ${operation.operationId} (plan ${operation.planId})`,
        `  status:   ${operation.status} at step ${operation.step}`,
        `  target:   ${operation.targetKey}`,
        `  snapshot: ${operation.sourceSnapshot.arn} (${operation.sourceSnapshot.type})`,
        `  trigger:  ${operation.trigger} by ${operation.requestedBy}, ${operation.createdAt}`,
      ];
      if (operation.error) {
        lines.push(
          `  error:    ${operation.error.stage}: ${operation.error.code}: ${operation.error.message}`,
        );
      }
      io.stdout.write(`${lines.join("\n")}\n\n`);
      io.stdout.write(
        textTable(
          ["STAGE", "STARTED", "DURATION"],
          stages.map((s) => [
            s.name,
            s.startedAt,
            s.durationMs === undefined
              ? "running"
              : s.name === operation.error?.stage
                ? `${formatDuration(s.durationMs)} (failed)`
                : formatDuration(s.durationMs),
          ]),
        ),
      );
      const outputs = Object.entries(operationView(operation).outputs);
      if (outputs.length > 0) {
        io.stdout.write(
          `\n${textTable(
            ["OUTPUT", "VALUE"],
            outputs.map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)]),
          )}`,
        );
      }
      return 0;
    } finally {
      await state.close();
      removeStopper();
    }
  },
};
