import type { ParsedArgs } from "../commands/option-values";
import { integerFlag, requiredFlag, stringFlag } from "../commands/option-values";
import { type CliIo, escapeControl, UsageError } from "../io";
import { textTable } from "../table";
import { addressFlags, type StageAddress } from "./stage-address";

const isoTime = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** An ISO 8601 time with its zone (a bare date is midnight UTC); exit 2 otherwise. */
function timeFlag(text: string, flag: string): Date {
  const time = new Date(text);
  if (!isoTime.test(text) || Number.isNaN(time.getTime())) {
    throw new UsageError(
      `${flag} '${escapeControl(text)}' is not an ISO 8601 time with its zone, e.g. 2025-03-14T02:00:00Z`,
    );
  }
  return time;
}

/** EventBridge recommends waiting 10 minutes before replaying: archiving lags. */
const archiveLagMs = 10 * 60_000;

/**
 * `replay --stage s`: StartReplay of the stage's pipeline archive over [from, to) to its bus, DescribeReplay
 * until it ends, then what the stages recorded for the replayed events (the audit entries written since).
 */
export async function replayOnStage(parsed: ParsedArgs, io: CliIo, address: StageAddress): Promise<number> {
  const from = timeFlag(requiredFlag(parsed, "from", "the start of the window, ISO 8601"), "--from");
  const to = timeFlag(requiredFlag(parsed, "to", "the end of the window, ISO 8601"), "--to");
  if (from >= to) throw new UsageError("--from must be before --to");
  const operationId = stringFlag(parsed, "operation");
  const settleSeconds = integerFlag(parsed, "settle-seconds", 30, [0, 900]);
  const { openDeployedStage } = await import("./deployed-stage");
  const { archiveOf, followReplay, replayNameFor, startReplay } = await import("./replay");
  const { FollowStopped, pause, stopFollowingOnSignal } = await import("./follow");
  const { outcomeCounts, replayEffects } = await import("./replay-report");
  const stage = await openDeployedStage(address);
  const interrupt = stopFollowingOnSignal();
  const name = replayNameFor(address.stage);
  try {
    if (operationId !== undefined && !(await stage.state.store.get(operationId))) {
      throw new UsageError(
        `no operation ${escapeControl(operationId)} in ${stage.state.where} (see 'aurora-restore operations list ${addressFlags(address)}')`,
        1,
      );
    }
    if (Date.now() - to.getTime() < archiveLagMs) {
      io.stderr.write("note: events of the last 10 minutes may not be archived yet, so not replayed\n");
    }
    const { archiveArn, busArn } = await archiveOf(stage);
    const description = `aurora-restore replay${operationId ? ` for ${operationId}` : ""}`;
    await startReplay(stage, { name, from, to, archiveArn, busArn, description });
    io.stderr.write(`Started replay ${name} of ${stage.names.archive} to ${stage.names.bus}\n`);
    const replay = await followReplay(stage, name, {
      signal: interrupt.signal,
      onChange: (r) => {
        const upTo = r.EventLastReplayedTime
          ? `, replayed up to ${r.EventLastReplayedTime.toISOString()}`
          : "";
        io.stderr.write(`  replay ${name}: ${r.State}${upTo}\n`);
      },
    });
    const since = (replay.ReplayStartTime ?? new Date()).toISOString();
    if (replay.State === "COMPLETED" && settleSeconds > 0) {
      io.stderr.write(`Waiting ${settleSeconds} s for the stages to finish the replayed events\n`);
      await pause(settleSeconds * 1000, interrupt.signal);
    }
    const entries = operationId
      ? (await stage.state.audit.listByOperation(operationId)).filter((e) => e.at >= since)
      : await stage.state.audit.listWrittenSince(since);
    const operations = replayEffects(entries);
    const summary = {
      name,
      state: replay.State,
      ...(replay.StateReason ? { stateReason: replay.StateReason } : {}),
      from: from.toISOString(),
      to: to.toISOString(),
      startedAt: since,
      ...(replay.ReplayEndTime ? { endedAt: replay.ReplayEndTime.toISOString() } : {}),
    };
    const code = replay.State === "COMPLETED" ? 0 : 1;
    if (parsed.flags.has("json")) {
      io.stdout.write(
        `${JSON.stringify({ replay: summary, operations, outcomes: outcomeCounts(entries) }, null, 2)}\n`,
      );
      return code;
    }
    const reason = replay.StateReason ? ` (${replay.StateReason})` : "";
    io.stdout.write(`Replay ${name}: ${replay.State}${reason}, events of ${summary.from} to ${summary.to}\n`);
    if (operations.length === 0) {
      io.stdout.write(
        `No audit entries since the replay started${operationId ? ` for ${operationId}` : ""}: the window held no events for the stages, or they have not run yet (see 'aurora-restore audit <id> ${addressFlags(address)}').\n`,
      );
      return code;
    }
    const rows = operations.flatMap((op) =>
      op.events.flatMap((event) =>
        event.entries.map((e) => [op.operationId, event.eventId, e.at, e.stage, e.action, e.outcome]),
      ),
    );
    io.stdout.write(`Audit entries written since the replay started (live events of that time included):\n`);
    io.stdout.write(textTable(["OPERATION", "EVENT", "AT", "STAGE", "ACTION", "OUTCOME"], rows));
    const counts = Object.entries(outcomeCounts(entries)).map(([outcome, n]) => `${n} ${outcome}`);
    io.stdout.write(`${operations.length} operation(s): ${counts.join(", ")}\n`);
    return code;
  } catch (error) {
    if (!(error instanceof FollowStopped)) throw error;
    io.stderr.write(
      `Stopped following replay ${name}; it goes on in AWS (aws events cancel-replay --replay-name ${name} stops it).\n`,
    );
    return interrupt.exitCode();
  } finally {
    interrupt.remove();
    await stage.close();
  }
}
