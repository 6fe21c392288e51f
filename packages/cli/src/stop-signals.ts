import { constants } from "node:os";

/**
 * SIGINT (Ctrl-C), SIGTERM (kill, a service manager) and SIGHUP (the terminal was closed) all stop the local
 * servers the same way: Node's default for each is to end the process at once, with no chance to stop them.
 */
export const stopSignals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type StopSignal = (typeof stopSignals)[number];

/** What a command does on a stop signal; "handled" means the command ends by itself and sets the exit code. */
export type Stopper = (signal: StopSignal) => Promise<undefined | "handled"> | undefined | "handled";

/** The shell's convention: 128 + the signal's number (SIGHUP 129, SIGINT 130, SIGTERM 143). */
export function signalExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/** Registered stoppers; quiet ones write their own notice (they stop nothing local). */
const stoppers = new Map<Stopper, { quiet: boolean }>();

/**
 * While registered, `stopper` runs on the first stop signal (the process then exits); returns its removal.
 * `quiet`: the stopper says itself what stopping means (following a deployed stage stops no local server).
 */
export function onStopSignal(stopper: Stopper, options: { quiet?: boolean } = {}): () => void {
  stoppers.set(stopper, { quiet: options.quiet ?? false });
  return () => stoppers.delete(stopper);
}

let foregroundChildren = 0;

/**
 * While an interactive child runs in the foreground (psql), Ctrl-C is its own: the terminal sends SIGINT to
 * the whole process group, psql cancels its query and goes on, and so must this process. SIGTERM and SIGHUP
 * still stop everything. Returns the end of that period.
 */
export function leaveSigintToChild(): () => void {
  foregroundChildren++;
  let ended = false;
  return () => {
    if (!ended) foregroundChildren--;
    ended = true;
  };
}

let installed: ((signal: StopSignal) => void) | undefined;

/**
 * Installs the process's handlers (the binary does, once). The first signal runs every registered stopper
 * (each stops what its command started: servers, tables), then the process exits with 128 + the signal's
 * number, unless every stopper answered "handled". Under `npm start` one Ctrl-C reaches the process twice
 * (from the terminal and relayed by npm): a repeat within a second is ignored, a later one forces the exit.
 * After SIGHUP nothing is written: there is no terminal any more.
 */
export function installStopSignals(stderr: { write(chunk: string): unknown }): void {
  if (installed) return;
  let first: number | undefined;
  installed = (signal) => {
    if (signal === "SIGINT" && foregroundChildren > 0) return;
    if (first !== undefined) {
      if (Date.now() - first > 1_000) process.exit(signalExitCode(signal));
      return;
    }
    first = Date.now();
    const running = [...stoppers.keys()];
    const stopsServers = [...stoppers.values()].some((s) => !s.quiet);
    if (stopsServers && signal !== "SIGHUP") {
      const again = signal === "SIGINT" ? "press Ctrl-C again" : `send ${signal} again`;
      stderr.write(`\n${signal}: stopping every local server (${again} to force)\n`);
    }
    void Promise.allSettled(running.map(async (stop) => stop(signal))).then((results) => {
      const handled =
        results.length > 0 && results.every((r) => r.status === "fulfilled" && r.value === "handled");
      if (!handled) process.exit(signalExitCode(signal));
    });
  };
  for (const signal of stopSignals) process.on(signal, installed);
}
