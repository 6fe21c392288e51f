import type { StageName } from "@aurora-restore/core/events/shapes";
import type { ProgressEvent } from "@aurora-restore/local/runtime/operation-progress";
import ora, { type Ora } from "ora";
import picocolors from "picocolors";
import { type CliIo, escapeForTerminal } from "../io";
import { formatDuration, formatElapsed } from "./format-duration";

/** What a stage waits on while it runs, for the live line ("copy: waiting for the snapshot copy, 1m40s"). */
const waitingOn: Partial<Record<StageName, string>> = {
  trigger: "starting the operation",
  prepare: "checking the snapshot and the target",
  copy: "waiting for the snapshot copy",
  restore: "waiting for the restored cluster",
  configure: "configuring the restored cluster",
  verify: "running the verification checks",
  cutover: "switching the target to the restored cluster",
  notify: "sending the notification",
  cleanup: "deleting the replaced cluster",
};

/** Progress of a command on stderr: its notices, and the pipeline's stages as they start and end. */
export interface StageProgress {
  /** A notice (setup steps, announcements): one line. */
  line(text: string): void;
  /** A stage started or ended; an end is ✓, or ✗ when the operation failed in it. */
  stage(event: ProgressEvent): void;
  /** Ends the live line; a stage still running is shown as stopped, never as done. */
  stop(): void;
}

const stageLabel = (stage: string) => stage.padEnd(10);
const waitText = (stage: StageName) => `${stage}: ${waitingOn[stage] ?? "running"}`;

/**
 * Live at a terminal (io.terminal): a spinner line with the running stage's elapsed time, redrawn every
 * second, and one line per ended stage. Elsewhere (pipes, CI, tests): one plain line per event, no escape
 * codes. Colour only at a terminal, and never when NO_COLOR is set.
 */
export function stageProgress(io: CliIo, env: NodeJS.ProcessEnv = process.env): StageProgress {
  // A terminal that reports no width (some pseudo-terminals) would make the spinner erase lines above it.
  const live = io.terminal && (io.terminal.columns ?? 0) > 0;
  return live && io.terminal ? liveProgress(io.terminal, env) : plainProgress(io);
}

function plainProgress(io: CliIo): StageProgress {
  const running = new Map<StageName, number>();
  return {
    line: (text) => io.stderr.write(`${text}\n`),
    stage(event) {
      if (event.kind === "stage-started") {
        running.set(event.stage, Date.parse(event.at));
        io.stderr.write(`  … ${waitText(event.stage)}\n`);
        return;
      }
      running.delete(event.stage);
      const mark = event.failed ? "✗" : "✓";
      const suffix = event.failed ? " (failed)" : "";
      io.stderr.write(
        `  ${mark} ${stageLabel(event.stage)} ${formatDuration(event.durationMs ?? 0)}${suffix}\n`,
      );
    },
    stop() {
      for (const [stage, startedAt] of running) {
        io.stderr.write(`  - ${stageLabel(stage)} stopped after ${formatElapsed(Date.now() - startedAt)}\n`);
      }
      running.clear();
    },
  };
}

function liveProgress(terminal: NodeJS.WriteStream, env: NodeJS.ProcessEnv): StageProgress {
  const colour = picocolors.createColors(!env.NO_COLOR && env.TERM !== "dumb");
  // No stdin discarding (it would take Ctrl-C from stop-signals.ts) and no cursor hiding (it installs its
  // own signal handlers to show it again).
  const spinner: Ora = ora({
    stream: terminal,
    isEnabled: true,
    discardStdin: false,
    hideCursor: false,
    color: env.NO_COLOR ? false : "cyan",
  });
  let running: { stage: StageName; startedAt: number } | undefined;
  const timer = setInterval(() => {
    if (running)
      spinner.text = `${waitText(running.stage)}, ${formatElapsed(Date.now() - running.startedAt)}`;
  }, 1000);
  timer.unref();

  /** A finished line above the live one. */
  const persist = (text: string) => {
    if (spinner.isSpinning) spinner.clear();
    terminal.write(`${text}\n`);
    if (spinner.isSpinning) spinner.render();
  };

  return {
    line: (text) => persist(colour.dim(escapeForTerminal(text))),
    stage(event) {
      if (event.kind === "stage-started") {
        running = { stage: event.stage, startedAt: Date.parse(event.at) };
        spinner.start(`${waitText(event.stage)}, ${formatElapsed(Date.now() - running.startedAt)}`);
        return;
      }
      if (running?.stage === event.stage) {
        running = undefined;
        spinner.stop();
      }
      const mark = event.failed ? colour.red("✗") : colour.green("✓");
      const duration = colour.dim(formatDuration(event.durationMs ?? 0));
      persist(`  ${mark} ${stageLabel(event.stage)} ${duration}${event.failed ? colour.red(" failed") : ""}`);
    },
    stop() {
      clearInterval(timer);
      if (running) {
        spinner.stop();
        const elapsed = formatElapsed(Date.now() - running.startedAt);
        persist(
          `  ${colour.yellow("-")} ${stageLabel(running.stage)} ${colour.dim(`stopped after ${elapsed}`)}`,
        );
        running = undefined;
      }
      spinner.stop();
    },
  };
}
