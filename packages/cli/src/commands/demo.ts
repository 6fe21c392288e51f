import { formatSummary } from "@aurora-restore/local/demo/demo-result";
import { runDemoOn } from "@aurora-restore/local/demo/run-demo";
import { type LocalRuntime, startLocalRuntime } from "@aurora-restore/local/runtime/start-local-runtime";
import type { Command } from "../io";
import { integerFlag, parseArgs, stringFlag } from "./parse-args";

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
    const controller = new AbortController();
    let runtime: LocalRuntime | undefined;
    let firstInterrupt: number | undefined;
    let waiting = false;
    const onSignal = (signal: NodeJS.Signals) => {
      // Under `npm start` one Ctrl-C reaches this process twice (from the terminal and relayed by the
      // runners above it): only a second press, a moment later, forces the exit.
      if (firstInterrupt !== undefined) {
        if (Date.now() - firstInterrupt > 1_000) process.exit(130);
        return;
      }
      firstInterrupt = Date.now();
      io.stderr.write(`\n${signal}: stopping every local server (press Ctrl-C again to force)\n`);
      controller.abort();
      // While waiting after a finished demo, the normal path stops the servers and exits 0.
      if (waiting) return;
      void runtime?.stop().finally(() => process.exit(130));
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    // Some writers (SNS's console announcement) give lines without their newline.
    const stderrLines = {
      write: (line: string) => io.stderr.write(line.endsWith("\n") ? line : `${line}\n`),
    };
    try {
      runtime = await startLocalRuntime({
        ...(stringFlag(parsed, "state-dir") ? { stateDir: stringFlag(parsed, "state-dir") } : {}),
        console: stderrLines,
        ...(parsed.flags.has("verbose") ? { log: stderrLines } : {}),
      });
      const result = await runDemoOn(runtime, { rows, progress: stderrLines, signal: controller.signal });
      if (parsed.flags.has("json")) io.stdout.write(`${JSON.stringify(result)}\n`);
      else io.stdout.write(formatSummary(result));
      // At a terminal, keep the clusters up so the psql command above works; Ctrl-C stops everything.
      const stay = !parsed.flags.has("json") && !parsed.flags.has("exit") && process.stdin.isTTY === true;
      if (stay && result.status === "succeeded") {
        waiting = true;
        io.stderr.write(
          "The clusters stay up so you can connect now; press Ctrl-C to stop them (or pass --exit).\n",
        );
        await new Promise<void>((resolve) => controller.signal.addEventListener("abort", () => resolve()));
      }
      return result.status === "succeeded" ? 0 : 1;
    } finally {
      await runtime?.stop();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  },
};
