import { type Command, escapeControl, UsageError } from "../io";
import { deployedStageHelp, deployedStageOptions } from "../remote/stage-address";
import { openStateReader } from "../state-reader";
import { onStopSignal } from "../stop-signals";
import { jsonOption, stateDirOption } from "./common-options";

export const auditCommand: Command = {
  path: ["audit"],
  summary: "Print an operation's audit trail, in order",
  operands: "<operationId>",
  options: [jsonOption, stateDirOption, ...deployedStageOptions],
  details: `Every entry the stages wrote for the operation: when, which stage, what it did, the outcome, by whom.\n\n${deployedStageHelp}`,
  examples: [
    "aurora-restore audit op-3f2a9c1e",
    "aurora-restore audit op-3f2a9c1e --json",
    "aurora-restore audit manual-0c7d5e6f --stage production --region eu-west-1",
  ],
  async run(parsed, io) {
    const [operationId, extra] = parsed.positionals;
    if (!operationId || extra) throw new UsageError("give exactly one operation id (see 'operations list')");
    const state = await openStateReader(parsed);
    const removeStopper = onStopSignal(() => state.close().then(() => undefined));
    try {
      const trail = (await state.audit.listByOperation(operationId)).sort((a, b) =>
        a.entryId.localeCompare(b.entryId),
      );
      if (trail.length === 0) {
        throw new UsageError(
          `no audit entries for ${escapeControl(operationId)} in ${escapeControl(state.where)}`,
          1,
        );
      }
      if (parsed.flags.has("json")) {
        io.stdout.write(`${JSON.stringify(trail, null, 2)}\n`);
        return 0;
      }
      for (const entry of trail) {
        const details =
          entry.details && Object.keys(entry.details).length > 0 ? ` ${JSON.stringify(entry.details)}` : "";
        io.stdout.write(
          `${entry.at}  ${entry.stage.padEnd(9)} ${entry.action} ${entry.outcome} by ${entry.actor}${details}\n`,
        );
      }
      return 0;
    } finally {
      await state.close();
      removeStopper();
    }
  },
};
