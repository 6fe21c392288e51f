import { formatSummary } from "@aurora-restore/local/demo/demo-result";
import { runDemoOn } from "@aurora-restore/local/demo/run-demo";
import { type LocalRuntime, startLocalRuntime } from "@aurora-restore/local/runtime/start-local-runtime";
import type { Command } from "../io";
import { onStopSignal } from "../stop-signals";
import { integerFlag, parseArgs } from "./parse-args";
import { creatableStateDir } from "./state-dir-option";

export const demoCommand: Command = {
  path: ["demo"],
  summary: "Run the local demo (npm start): refresh a staging cluster from production, end to end",
  usage: [
    "Usage: aurora-restore demo [--rows 200] [--json] [--verbose] [--exit] [--state-dir .aurora-restore]",
    "",
    "Starts the embedded default (local EventBridge, DynamoDB, KMS, Secrets Manager, SNS and RDS on real",
    "PostgreSQL), creates a production cluster with sample data, takes an automated snapshot and follows the",
    "pipeline until the staging cluster is refreshed. Progress goes to stderr; --json prints one JSON object",
    "on stdout. At a terminal the clusters stay up after the summary (for psql) until Ctrl-C; --exit stops",
    "them right away. Running it again refreshes the same target again (cutover of an existing cluster).",
  ].join("\n"),
  async run(args, io) {
    const parsed = parseArgs(args, { values: ["rows", "state-dir"], booleans: ["json", "verbose", "exit"] });
    const rows = integerFlag(parsed, "rows", 200, [1, 1_000_000]);
    const stateDir = await creatableStateDir(parsed);
    const controller = new AbortController();
    let runtime: LocalRuntime | undefined;
    let waiting = false;
    // Ctrl-C, SIGTERM or SIGHUP: abort the demo and stop every server, then exit 128+n (stop-signals.ts).
    // While waiting after a finished demo, the normal path stops the servers and exits 0.
    const removeStopper = onStopSignal(async () => {
      controller.abort();
      if (waiting) return "handled";
      await runtime?.stop();
      return undefined;
    });
    // Some writers (SNS's console announcement) give lines without their newline.
    const stderrLines = {
      write: (line: string) => io.stderr.write(line.endsWith("\n") ? line : `${line}\n`),
    };
    try {
      runtime = await startLocalRuntime({
        stateDir,
        console: stderrLines,
        ...(parsed.flags.has("verbose") ? { log: stderrLines } : {}),
      });
      const result = await runDemoOn(runtime, { rows, progress: stderrLines, signal: controller.signal });
      if (parsed.flags.has("json")) io.stdout.write(`${JSON.stringify(result)}\n`);
      else io.stdout.write(formatSummary(result));
      // At a terminal, keep the clusters up so the psql command above works; Ctrl-C stops everything.
      const stay = !parsed.flags.has("json") && !parsed.flags.has("exit") && process.stdin.isTTY === true;
      if (stay && result.status === "succeeded" && !controller.signal.aborted) {
        waiting = true;
        io.stderr.write(
          "The clusters stay up so you can connect now; press Ctrl-C to stop them (or pass --exit).\n",
        );
        await new Promise<void>((resolve) => controller.signal.addEventListener("abort", () => resolve()));
      }
      return result.status === "succeeded" ? 0 : 1;
    } finally {
      await runtime?.stop();
      removeStopper();
    }
  },
};
