import type { TappedEvent } from "@aurora-restore/local/runtime/event-tap";
import type { LocalRuntime } from "@aurora-restore/local/runtime/start-local-runtime";
import { type Command, escapeControl } from "../io";
import { onStopSignal } from "../stop-signals";
import { stateDirOption } from "./common-options";
import { stringFlag } from "./option-values";
import { creatableStateDir } from "./state-dir-option";

/** `12:00:03  RestoreRequested      op-3f2a9c1e...  staging-db`, in UTC like the events' times. */
export function eventLine(event: TappedEvent): string {
  const fields = [event.time.slice(11, 19), event.what.padEnd(20), event.operationId, event.subject]
    .filter((f): f is string => f !== undefined)
    .map(escapeControl);
  return `${fields.join("  ")}${event.failure ? `: ${escapeControl(event.failure)}` : ""}`;
}

export const localUpCommand: Command = {
  path: ["local", "up"],
  summary:
    "Run the local runtime in the foreground until Ctrl-C; snapshots taken meanwhile start the pipeline",
  options: [{ flags: "--verbose", description: "also print the pipeline's log lines" }, stateDirOption],
  details: [
    "Starts the embedded default (local EventBridge, DynamoDB, KMS, Secrets Manager, SNS, and every cluster's",
    "PostgreSQL server) and keeps it running: the watcher runs, plans' schedules fire, and a snapshot of a",
    "planned source starts a refresh. One line per pipeline event goes to stderr. Other commands on the same",
    "state folder hand their work to it: 'local snapshot' and 'local clusters delete' (through request files",
    "in <state>/control/), and read commands read its tables. Ctrl-C, SIGTERM or SIGHUP stop every server.",
  ].join("\n"),
  examples: [
    "aurora-restore local up",
    "aurora-restore local up --state-dir /tmp/aurora   # then, in another terminal: aurora-restore local snapshot production-db --state-dir /tmp/aurora",
  ],
  async run(parsed, io) {
    const { handleLocalRequest, parseLocalRequest } = await import(
      "@aurora-restore/local/control/local-requests"
    );
    const { serveRequests } = await import("@aurora-restore/local/control/request-channel");
    const { tapPipelineEvents } = await import("@aurora-restore/local/runtime/event-tap");
    const { readLocalClusters } = await import("@aurora-restore/local/runtime/local-clusters");
    const { planSentence } = await import("@aurora-restore/local/runtime/plan-coverage");
    const { startLocalRuntime } = await import("@aurora-restore/local/runtime/start-local-runtime");
    const stateDir = await creatableStateDir(parsed);
    const say = (line: string) => io.stderr.write(`${line.replace(/\n$/, "")}\n`);
    // Requests older than this were written for an earlier `local up` (request-channel.ts).
    const since = new Date();
    let runtime: LocalRuntime | undefined;
    let stopServing: () => void = () => undefined;
    // Every stop signal stops the servers; the process then exits 128 + the signal (stop-signals.ts).
    const removeStopper = onStopSignal(async () => {
      stopServing();
      await runtime?.stop();
      return undefined;
    });
    try {
      const lines = { write: say };
      runtime = await startLocalRuntime({
        stateDir,
        servesRequests: true,
        console: lines,
        ...(parsed.flags.has("verbose") ? { log: lines } : {}),
      });
      const running = runtime;
      tapPipelineEvents(running, (event) => say(eventLine(event)));
      const server = await serveRequests(
        running.stateDir,
        async (body) => {
          const request = parseLocalRequest(body);
          const result = await handleLocalRequest(running, request, say);
          if (request.kind === "delete-cluster") {
            say(
              escapeControl(
                `Deleted cluster ${request.cluster.clusterIdentifier} (asked by another process)`,
              ),
            );
          }
          return result;
        },
        { since, onError: (error) => say(`A request could not be answered: ${(error as Error).message}`) },
      );
      stopServing = () => server.stop();
      const clusters = await readLocalClusters(running.stateDir);
      const plans = await running.plans.list();
      say(
        `Local runtime up in ${escapeControl(running.stateDir)} (logs in ${escapeControl(running.logFile ?? "-")})`,
      );
      for (const c of clusters) {
        say(
          escapeControl(
            `  cluster ${c.identifier} (${c.accountId}, ${c.region}): ${c.status}, 127.0.0.1:${c.port}`,
          ),
        );
      }
      for (const plan of plans) say(escapeControl(`  plan ${plan.id}: ${planSentence(plan)}`));
      if (clusters.length === 0)
        say("  no clusters yet: 'aurora-restore demo' creates a production and a staging one");
      const here = stringFlag(parsed, "state-dir") === undefined ? "" : ` --state-dir ${running.stateDir}`;
      say(
        escapeControl(
          `Ready. From another terminal, 'aurora-restore local snapshot <cluster> [--automated]${here}' starts a refresh; Ctrl-C stops everything.`,
        ),
      );
      // Runs until a stop signal: the stopper above stops the servers and ends the process.
      await new Promise<never>(() => undefined);
      return 0;
    } finally {
      stopServing();
      await runtime?.stop();
      removeStopper();
    }
  },
};
