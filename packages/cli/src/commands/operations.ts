import { type Command, escapeControl, UsageError } from "../io";
import { operationView } from "../operation-view";
import { formatDuration } from "../progress/format-duration";
import { deployedStageHelp, deployedStageOptions } from "../remote/stage-address";
import { isOperationStatus, listOperations, openStateReader } from "../state-reader";
import { onStopSignal } from "../stop-signals";
import { textTable } from "../table";
import { jsonOption, stateDirOption } from "./common-options";
import { stringFlag } from "./option-values";

export const operationsListCommand: Command = {
  path: ["operations", "list"],
  summary: "List restore operations, newest first (local runtime, or a deployed stage with --stage)",
  options: [
    {
      flags: "--status <status>",
      description: "only operations with this status: running, succeeded or failed",
    },
    jsonOption,
    stateDirOption,
    ...deployedStageOptions,
  ],
  details: deployedStageHelp,
  examples: [
    "aurora-restore operations list",
    "aurora-restore operations list --status failed --json",
    "aurora-restore operations list --stage production --region eu-west-1 --status running",
  ],
  async run(parsed, io) {
    const status = stringFlag(parsed, "status");
    if (status !== undefined && !isOperationStatus(status)) {
      throw new UsageError(`--status must be running, succeeded or failed (got '${escapeControl(status)}')`);
    }
    const state = await openStateReader(parsed);
    const removeStopper = onStopSignal(() => state.close().then(() => undefined));
    try {
      const operations = await listOperations(state.store, status);
      if (parsed.flags.has("json")) {
        io.stdout.write(`${JSON.stringify(operations.map(operationView), null, 2)}\n`);
        return 0;
      }
      if (operations.length === 0) {
        io.stdout.write(`No operations in ${state.where}. ${state.noOperationsHint}\n`);
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
  options: [jsonOption, stateDirOption, ...deployedStageOptions],
  details:
    "The pipeline's own bookkeeping (the claim on the current step, the event it hands on, the record's\n" +
    `version) is left out, of --json too: it says nothing about the refresh.\n\n${deployedStageHelp}`,
  examples: [
    "aurora-restore operations show op-3f2a9c1e",
    "aurora-restore operations show op-3f2a9c1e --json",
    "aurora-restore operations show manual-0c7d5e6f --stage production --region eu-west-1 --profile target-account",
  ],
  async run(parsed, io) {
    const { stageTimings } = await import("@aurora-restore/local/runtime/operation-progress");
    const [operationId, extra] = parsed.positionals;
    if (!operationId || extra) throw new UsageError("give exactly one operation id (see 'operations list')");
    const state = await openStateReader(parsed);
    const removeStopper = onStopSignal(() => state.close().then(() => undefined));
    try {
      const operation = await state.store.get(operationId);
      if (!operation) {
        throw new UsageError(
          `no operation ${escapeControl(operationId)} in ${escapeControl(state.where)} (see 'aurora-restore operations list')`,
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
