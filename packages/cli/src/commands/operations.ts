import { listAllOperations, openLocalState } from "@aurora-restore/local/runtime/open-state";
import { stageTimings } from "@aurora-restore/local/runtime/operation-progress";
import { type Command, escapeControl, UsageError } from "../io";
import { onStopSignal } from "../stop-signals";
import { parseArgs, stringFlag } from "./parse-args";
import { existingStateDir } from "./state-dir-option";

export const operationsListCommand: Command = {
  path: ["operations", "list"],
  summary: "List restore operations on the local runtime (newest first)",
  usage:
    "Usage: aurora-restore operations list [--status running|succeeded|failed] [--json] [--state-dir DIR]",
  async run(args, io) {
    const parsed = parseArgs(args, { values: ["status", "state-dir"], booleans: ["json"] });
    const status = stringFlag(parsed, "status");
    if (status && !["running", "succeeded", "failed"].includes(status)) {
      throw new UsageError(`--status must be running, succeeded or failed (got '${escapeControl(status)}')`);
    }
    const state = await openLocalState({ stateDir: await existingStateDir(parsed) });
    const removeStopper = onStopSignal(() => state.close().then(() => undefined));
    try {
      const all = await listAllOperations(state.store);
      const operations = status ? all.filter((o) => o.status === status) : all;
      if (parsed.flags.has("json")) {
        io.stdout.write(`${JSON.stringify(operations, null, 2)}\n`);
        return 0;
      }
      if (operations.length === 0) {
        io.stdout.write(`No operations in ${state.stateDir}. Run 'npm start' to refresh the demo target.\n`);
        return 0;
      }
      for (const op of operations) {
        io.stdout.write(
          `${op.operationId}  ${op.status.padEnd(9)}  ${op.step.padEnd(18)}  ${op.targetKey}  ${op.createdAt}  plan ${op.planId}\n`,
        );
      }
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
  usage: "Usage: aurora-restore operations show <operationId> [--json] [--state-dir DIR]",
  async run(args, io) {
    const parsed = parseArgs(args, { values: ["state-dir"], booleans: ["json"] });
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
        io.stdout.write(`${JSON.stringify({ ...operation, stages }, null, 2)}\n`);
        return 0;
      }
      const lines = [
        `Operation ${operation.operationId} (plan ${operation.planId})`,
        `  status:   ${operation.status} at step ${operation.step}`,
        `  target:   ${operation.targetKey}`,
        `  snapshot: ${operation.sourceSnapshot.arn} (${operation.sourceSnapshot.type})`,
        `  trigger:  ${operation.trigger} by ${operation.requestedBy}, ${operation.createdAt}`,
        "  stages:",
        ...stages.map(
          (s) =>
            `    ${s.name.padEnd(10)} ${s.startedAt}  ${s.durationMs === undefined ? "running" : `${(s.durationMs / 1000).toFixed(1)} s`}`,
        ),
      ];
      const outputs = Object.entries(operation.outputs);
      if (outputs.length > 0) {
        lines.push(
          "  outputs:",
          ...outputs.map(([k, v]) => `    ${k}: ${Array.isArray(v) ? v.join(", ") : String(v)}`),
        );
      }
      if (operation.error) {
        lines.push(
          `  error:    ${operation.error.stage}: ${operation.error.code}: ${operation.error.message}`,
        );
      }
      io.stdout.write(`${lines.join("\n")}\n`);
      return 0;
    } finally {
      await state.close();
      removeStopper();
    }
  },
};
