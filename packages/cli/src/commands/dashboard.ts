import { fileURLToPath } from "node:url";
import { type Command, escapeControl, UsageError } from "../io";
import { deployedStageHelp, deployedStageOf, deployedStageOptions } from "../remote/stage-address";
import { onStopSignal } from "../stop-signals";
import { stateDirOption } from "./common-options";
import { integerFlag } from "./option-values";
import { existingStateDir } from "./state-dir-option";

export const defaultDashboardPort = 4317;

export const dashboardCommand: Command = {
  path: ["dashboard"],
  summary: "Serve a read-only web dashboard of the operations on 127.0.0.1 (local runtime, or --stage)",
  options: [
    {
      flags: "--port <n>",
      description: `the port on 127.0.0.1, 0 for any free one (default ${defaultDashboardPort})`,
    },
    {
      flags: "--allow-actions",
      description:
        "deployed stage only: show the retry button (it publishes RetryRequested on the stage's bus)",
    },
    stateDirOption,
    ...deployedStageOptions,
  ],
  details:
    "Pages: operations (filter by status and target, refreshed while one runs), one operation (a timeline of\n" +
    "its stages, waits told apart from work, the audit trail, the error and a retry button for a failed\n" +
    "one), trends (stage durations over a target's last operations, bench figures) and the pipeline\n" +
    "(generated from the stage declarations). The JSON API is in docs/dashboard.md. It listens on\n" +
    "127.0.0.1 only and has no login. The local state folder is opened per request, so other commands\n" +
    "run meanwhile; a retry starts the local runtime until the operation ends, like 'operations retry'.\n\n" +
    deployedStageHelp,
  examples: [
    "aurora-restore dashboard",
    "aurora-restore dashboard --port 8080 --state-dir /tmp/demo-state",
    "aurora-restore dashboard --stage production --region eu-west-1 --allow-actions",
  ],
  async run(parsed, io) {
    const port = integerFlag(parsed, "port", defaultDashboardPort, [0, 65535]);
    const address = await deployedStageOf(parsed);
    if (!address && parsed.flags.has("allow-actions")) {
      throw new UsageError(
        "--allow-actions is for a deployed stage (--stage): locally retry is always offered",
      );
    }
    const { localSource } = await import("../dashboard/local-source");
    const { stageSource } = await import("../dashboard/stage-source");
    const source = address
      ? await stageSource(address, parsed.flags.has("allow-actions"))
      : localSource(await existingStateDir(parsed));
    const { dashboardApp } = await import("../dashboard/app");
    const { listen, PortInUseError } = await import("../dashboard/serve");
    const { stages } = await import("@aurora-restore/functions/stages");
    const benchFile = fileURLToPath(new URL("../../../../bench/results/latest.json", import.meta.url));
    let server: Awaited<ReturnType<typeof listen>>;
    try {
      server = await listen(dashboardApp({ source, stages, benchFile }), port);
    } catch (error) {
      await source.close();
      if (error instanceof PortInUseError) throw new UsageError(error.message, 1);
      throw error;
    }
    io.stdout.write(`Dashboard of ${escapeControl(source.where)} on ${server.url}/ (Ctrl-C stops it)\n`);
    await new Promise<void>((resolve) => {
      onStopSignal(async () => {
        await server.close();
        await source.close();
        resolve();
        return undefined;
      });
    });
    return 0;
  },
};
