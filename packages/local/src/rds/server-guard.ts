import { spawn } from "node:child_process";
import { readdir, readFile, readlink, realpath, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { currentProcess, isAlive, isRunning, type ProcessRef } from "../process-identity";
import { readJsonFile, writeJsonFileAtomic } from "../state-dir";

/**
 * No local PostgreSQL outlives the process that started it.
 *
 * pg_ctl puts the postmaster in a session of its own, so the server survives whatever ends this process; exit
 * handlers do not run on SIGKILL, and Node cannot ask the kernel to signal a child when its parent dies
 * (prctl PR_SET_PDEATHSIG). So each server gets a watchdog: a tiny `sh` process, in its own session too (a
 * closed terminal or Ctrl-C does not reach it), blocked reading a pipe whose only writer is this process.
 * However this process ends, kill -9 included, the kernel closes that pipe; `read` returns at end of file at
 * once and the watchdog shuts the postmaster down (SIGINT: fast shutdown; SIGQUIT, immediate, if it is not
 * gone after 1.5 s). A pipe rather than polling the parent's pid: no delay, no pid reuse, no zombie parent
 * that still answers `kill -0`. A normal stop writes a line into the pipe and the watchdog leaves quietly.
 *
 * Second line of defence (a process killed between starting a server and starting its watchdog, or a
 * watchdog killed by hand): the owner of each running server is recorded next to its data, and the next
 * process on the state folder stops running servers whose owner is dead (stopOrphanServers).
 */
const watchdogScript = [
  "if read -r _; then exit 0; fi", // a line: released by a normal stop
  '{ IFS= read -r current < "$2/postmaster.pid"; } 2>/dev/null || exit 0',
  '[ "$current" = "$1" ] || exit 0', // the server was stopped (and maybe restarted) meanwhile
  'kill -INT "$1" 2>/dev/null || exit 0',
  "i=0",
  'while kill -0 "$1" 2>/dev/null; do',
  '  i=$((i + 1)); if [ "$i" -gt 15 ]; then kill -QUIT "$1" 2>/dev/null; exit 0; fi',
  "  sleep 0.1",
  "done",
].join("\n");

export const watchdogName = "aurora-restore-watchdog";

interface ServerOwner extends ProcessRef {
  postmasterPid: number;
  watchdogPid?: number;
  since: string;
}

export interface ServerGuard {
  /** The server was stopped normally: the watchdog leaves, the owner record goes. */
  release(): Promise<void>;
}

/** Where a server's owner is recorded: beside its data directory (never in it: snapshots copy that). */
export function serverOwnerFile(dataDir: string): string {
  return join(dirname(dataDir), "server-owner.json");
}

export async function readPostmasterPid(dataDir: string): Promise<number | undefined> {
  const text = await readFile(join(dataDir, "postmaster.pid"), "utf8").catch(() => "");
  const pid = Number.parseInt(text.split("\n", 1)[0] ?? "", 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Starts the watchdog of the server just started in `dataDir` and records this process as its owner. */
export async function guardServer(dataDir: string): Promise<ServerGuard> {
  const postmasterPid = await readPostmasterPid(dataDir);
  if (postmasterPid === undefined || process.platform === "win32") return { release: async () => {} };
  const child = spawn("/bin/sh", ["-c", watchdogScript, watchdogName, String(postmasterPid), dataDir], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  child.on("error", () => undefined);
  child.stdin?.on("error", () => undefined);
  // Neither the watchdog nor its pipe keeps this process alive.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  const ownerFile = serverOwnerFile(dataDir);
  const owner: ServerOwner = {
    ...currentProcess(),
    postmasterPid,
    ...(child.pid ? { watchdogPid: child.pid } : {}),
    since: new Date().toISOString(),
  };
  await writeJsonFileAtomic(ownerFile, owner).catch(() => undefined);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      child.stdin?.end("release\n");
      const recorded = await readJsonFile<ServerOwner>(ownerFile).catch(() => undefined);
      if (recorded?.pid === owner.pid && recorded.postmasterPid === postmasterPid) {
        await rm(ownerFile, { force: true });
      }
    },
  };
}

/** Whether `pid` is the postmaster of `dataDir` (its working directory, on Linux); true when it cannot tell. */
async function isPostmasterOf(pid: number, dataDir: string): Promise<boolean> {
  if (!isAlive(pid)) return false;
  try {
    return (await readlink(`/proc/${pid}/cwd`)) === (await realpath(dataDir));
  } catch {
    return true;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) {
    if (!isAlive(pid)) return true;
  }
  return !isAlive(pid);
}

/**
 * Stops the running servers under `clustersDir` (`<resourceId>/data`) whose recorded owner is no longer
 * alive, or that have no owner recorded: left by a process that ended without stopping them. Servers owned by
 * a live process are left alone. Returns the data directories it stopped.
 */
export async function stopOrphanServers(clustersDir: string): Promise<string[]> {
  const entries = await readdir(clustersDir).catch(() => [] as string[]);
  const stopped: string[] = [];
  for (const entry of entries) {
    const dataDir = join(clustersDir, entry, "data");
    const pid = await readPostmasterPid(dataDir);
    if (pid === undefined || !(await isPostmasterOf(pid, dataDir))) continue;
    const owner = await readJsonFile<ServerOwner>(serverOwnerFile(dataDir)).catch(() => undefined);
    if (owner && isRunning(owner)) continue;
    try {
      process.kill(pid, "SIGINT");
      if (!(await waitGone(pid, 10_000))) {
        process.kill(pid, "SIGQUIT");
        await waitGone(pid, 5_000);
      }
    } catch {
      // gone meanwhile
    }
    await rm(serverOwnerFile(dataDir), { force: true });
    stopped.push(dataDir);
  }
  return stopped;
}
