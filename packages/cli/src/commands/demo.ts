import type { LocalRuntime } from "@aurora-restore/local/runtime/start-local-runtime";
import type { Command } from "../io";
import { stageProgress } from "../progress/stage-progress";
import { onStopSignal } from "../stop-signals";
import { jsonOption, stateDirOption } from "./common-options";
import { integerFlag } from "./option-values";
import { creatableStateDir } from "./state-dir-option";

export const demoCommand: Command = {
  path: ["demo"],
  summary: "Run the local demo (npm start): refresh a staging cluster from production, end to end",
  options: [
    { flags: "--rows <n>", description: "customers in the sample data, 1 to 1000000 (default: 200)" },
    jsonOption,
    { flags: "--verbose", description: "also print the pipeline's log lines" },
    { flags: "--exit", description: "stop the clusters right after the summary" },
    stateDirOption,
  ],
  details: [
    "Starts the embedded default (local EventBridge, DynamoDB, KMS, Secrets Manager, SNS and RDS on real",
    "PostgreSQL), creates a production cluster with sample data, takes an automated snapshot and follows the",
    "pipeline until the staging cluster is refreshed. Progress goes to stderr; --json prints one JSON object",
    "on stdout. At a terminal the clusters stay up after the summary (for psql) until Ctrl-C; --exit stops",
    "them right away. Running it again refreshes the same target again (cutover of an existing cluster).",
  ].join("\n"),
  examples: ["aurora-restore demo", "aurora-restore demo --exit --rows 1000", "aurora-restore demo --json"],
  async run(parsed, io) {
    const { formatSummary } = await import("@aurora-restore/local/demo/demo-result");
    const { runDemoOn } = await import("@aurora-restore/local/demo/run-demo");
    const { startLocalRuntime } = await import("@aurora-restore/local/runtime/start-local-runtime");
    const rows = integerFlag(parsed, "rows", 200, [1, 1_000_000]);
    const stateDir = await creatableStateDir(parsed);
    const controller = new AbortController();
    let runtime: LocalRuntime | undefined;
    let waiting = false;
    const progress = stageProgress(io);
    // Ctrl-C, SIGTERM or SIGHUP: abort the demo and stop every server, then exit 128+n (stop-signals.ts).
    // While waiting after a finished demo, the normal path stops the servers and exits 0.
    const removeStopper = onStopSignal(async () => {
      controller.abort();
      progress.stop();
      if (waiting) return "handled";
      await runtime?.stop();
      return undefined;
    });
    // Some writers (SNS's console announcement) give lines without their newline, others with.
    const stderrLines = { write: (line: string) => progress.line(line.replace(/\n$/, "")) };
    try {
      runtime = await startLocalRuntime({
        stateDir,
        console: stderrLines,
        ...(parsed.flags.has("verbose") ? { log: stderrLines } : {}),
      });
      const result = await runDemoOn(runtime, {
        rows,
        progress: stderrLines,
        onStage: (event) => progress.stage(event),
        signal: controller.signal,
      });
      progress.stop();
      if (parsed.flags.has("json")) io.stdout.write(`${JSON.stringify(result)}\n`);
      else io.stdout.write(formatSummary(result));
      // At a terminal, keep the clusters up so the psql command above works; Ctrl-C stops everything.
      const stay = !parsed.flags.has("json") && !parsed.flags.has("exit") && process.stdin.isTTY === true;
      if (stay && result.status === "succeeded" && !controller.signal.aborted) {
        waiting = true;
        progress.line(
          "The clusters stay up so you can connect now; press Ctrl-C to stop them (or pass --exit).",
        );
        await new Promise<void>((resolve) => controller.signal.addEventListener("abort", () => resolve()));
      }
      return result.status === "succeeded" ? 0 : 1;
    } finally {
      progress.stop();
      await runtime?.stop();
      removeStopper();
    }
  },
};
