import type { ArchiveKey } from "@aurora-restore/core/wiring/archives";
import type { ArchiveReplay } from "@aurora-restore/local/runtime/archive-replay";
import { type Command, escapeControl, UsageError } from "../io";
import { deployedStageHelp, deployedStageOf, deployedStageOptions } from "../remote/stage-address";
import { onStopSignal } from "../stop-signals";
import { jsonOption, stateDirOption } from "./common-options";
import { changesLine, countsLine, outcomeJson, outcomeLine } from "./event-outcome-report";
import { stringFlag } from "./option-values";
import { replayWindow, timeFormats } from "./replay-times";
import { existingStateDir } from "./state-dir-option";

const archiveChoices: Record<string, ArchiveKey[]> = {
  all: ["rds", "pipeline"],
  rds: ["rds"],
  pipeline: ["pipeline"],
};

function archivesOf(value: string | undefined): ArchiveKey[] {
  const chosen = archiveChoices[value ?? "all"];
  if (!chosen)
    throw new UsageError(`--archive must be rds, pipeline or all (got '${escapeControl(value!)}')`);
  return chosen;
}

const progressLine = (r: ArchiveReplay) =>
  escapeControl(
    `  ${r.archive} archive: ${r.state}, ${r.eventsReplayed} event(s) replayed${
      r.eventLastReplayedTime ? ` up to ${r.eventLastReplayedTime.toISOString()}` : ""
    }${r.stateReason ? ` (${r.stateReason})` : ""}`,
  );

export const replayCommand: Command = {
  path: ["replay"],
  summary:
    "Replay the archived events of a time window (locally, or a deployed stage with --stage); report what each did",
  options: [
    { flags: "--from <time>", description: `start of the window (required): ${timeFormats}` },
    { flags: "--to <time>", description: "end of the window, exclusive (default: now)" },
    {
      flags: "--archive <which>",
      description: "rds (RDS events, default bus), pipeline (the pipeline bus) or all (default)",
    },
    { flags: "--operation <id>", description: "report only this operation's events (it must exist)" },
    {
      flags: "--settle-seconds <n>",
      description:
        "deployed stage only: after the replay, wait this long for the stages, 0 to 900 (default: 30)",
    },
    jsonOption,
    stateDirOption,
    ...deployedStageOptions,
  ],
  details: [
    "Starts the local runtime, replays (StartReplay) the archived events whose time is in [from, to) to the",
    "bus each archive belongs to, follows each replay, lets the pipeline settle and stops. Then it reports",
    "what each replayed event did, from the audit trail: ignored duplicate (its work was done), resumed",
    "(a step was claimed or moved on), started (a new operation), rejected or failed (dead-lettered), no-op.",
    "The rds archive holds the RDS events the stages subscribe to: replaying it re-sends a snapshot event",
    "that was missed. Completed steps are never done twice.",
    "--operation narrows the report only: a replay cannot filter by operation, so every other event of the",
    "window is replayed too (a no-op for completed operations). Replayed operations that are still running",
    "continue the next time the local runtime starts. Exit 1 when a replayed event failed or was rejected,",
    "or a replay did not complete.",
    "",
    "With --stage: StartReplay of the stage's pipeline archive (aurora-restore-<stage>) to its bus, then",
    "DescribeReplay until it ends (progress on stderr; Ctrl-C stops following, the replay goes on), then",
    "the audit entries written since the replay started (live events of that time included). --from and",
    "--to are then ISO 8601 times with their zone. Archiving lags: the last 10 minutes may be missing.",
    "",
    deployedStageHelp,
  ].join("\n"),
  examples: [
    "aurora-restore replay --from -2h",
    "aurora-restore replay --from 2025-03-14T09:00:00Z --to 2025-03-14T10:00:00Z --archive rds",
    "aurora-restore replay --from -1d --operation op-3f2a9c1e --json",
    "aurora-restore replay --from 2025-03-14T02:00:00Z --to 2025-03-14T03:00:00Z --stage production --region eu-west-1",
  ],
  async run(parsed, io) {
    const address = await deployedStageOf(parsed);
    if (address) {
      if (parsed.flags.has("archive")) throw new UsageError("--archive is for the local runtime");
      const { replayOnStage } = await import("../remote/replay-on-stage");
      return replayOnStage(parsed, io, address);
    }
    if (parsed.flags.has("settle-seconds"))
      throw new UsageError("--settle-seconds is for a deployed stage (--stage)");
    const { localArchiveRetentionDays } = await import("@aurora-restore/local/runtime/pipeline-archives");
    const window = replayWindow(
      { from: stringFlag(parsed, "from"), to: stringFlag(parsed, "to") },
      new Date(),
      localArchiveRetentionDays,
    );
    const archives = archivesOf(stringFlag(parsed, "archive"));
    const operationId = stringFlag(parsed, "operation");
    const stateDir = await existingStateDir(parsed);
    const { startLocalRuntime } = await import("@aurora-restore/local/runtime/start-local-runtime");
    const { replayArchives } = await import("@aurora-restore/local/runtime/archive-replay");
    const runtime = await startLocalRuntime({ stateDir });
    const removeStopper = onStopSignal(() => runtime.stop().then(() => undefined));
    try {
      if (operationId !== undefined && !(await runtime.store.get(operationId))) {
        throw new UsageError(
          `no operation ${escapeControl(operationId)} in ${escapeControl(stateDir)} (see 'aurora-restore operations list'); nothing was replayed`,
        );
      }
      if (window.warning) io.stderr.write(`${window.warning}\n`);
      io.stderr.write(
        `Replaying the ${archives.join(" and ")} archive(s), events from ${window.from.toISOString()} to ${window.to.toISOString()}\n`,
      );
      const result = await replayArchives(runtime, {
        ...window,
        archives,
        ...(operationId === undefined ? {} : { operationId }),
        onProgress: (r) => io.stderr.write(`${progressLine(r)}\n`),
        onSettling: () => io.stderr.write("  letting the pipeline settle...\n"),
      });
      const running: string[] = [];
      const touched = result.outcomes.flatMap((o) => o.effects.filter((e) => e.changed));
      for (const id of new Set(touched.map((e) => e.operationId))) {
        const operation = id ? await runtime.store.get(id) : undefined;
        if (operation?.status === "running") running.push(`${operation.operationId} (at ${operation.step})`);
      }
      const failed =
        result.outcomes.some((o) => o.kind === "failed" || o.kind === "rejected") ||
        result.replays.some((r) => r.state !== "COMPLETED");
      if (parsed.flags.has("json")) {
        const report = {
          window: { from: window.from.toISOString(), to: window.to.toISOString() },
          ...(operationId === undefined ? {} : { operationId }),
          replays: result.replays.map((r) => ({
            archive: r.archive,
            archiveName: r.archiveName,
            replayName: r.replayName,
            state: r.state,
            eventsReplayed: r.eventsReplayed,
          })),
          events: result.outcomes.map((o) => ({ archive: o.archive, time: o.time, ...outcomeJson(o) })),
          changedNothing: !result.outcomes.some((o) => o.changed),
          sideEffects: result.sideEffects,
          stillRunning: running,
        };
        io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return failed ? 1 : 0;
      }
      if (result.outcomes.length === 0) {
        io.stdout.write(
          `No archived event${operationId ? ` of ${escapeControl(operationId)}` : ""} in the window: nothing to report.\n`,
        );
      }
      for (const outcome of result.outcomes) io.stdout.write(`${outcomeLine(outcome)}\n`);
      if (result.outcomes.length > 0) {
        io.stdout.write(`${result.outcomes.length} event(s) replayed: ${countsLine(result.outcomes)}\n`);
        io.stdout.write(`${changesLine(result.outcomes, "replay")}\n`);
      }
      const effects = Object.entries(result.sideEffects).map(([call, n]) => `${call} x${n}`);
      if (effects.length > 0) io.stdout.write(`Side effects meanwhile: ${effects.join(", ")}\n`);
      if (running.length > 0) {
        io.stdout.write(
          `Still running: ${running.join(", ")}; it continues the next time the local runtime starts.\n`,
        );
      }
      return failed ? 1 : 0;
    } finally {
      await runtime.stop();
      removeStopper();
    }
  },
};
