import { randomUUID } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { link, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { currentProcess, isRunning, type ProcessRef } from "./process-identity";

/**
 * One process at a time owns a state folder's tables (dynalite's LevelDB cannot be opened twice: the second
 * process died with an uncaught "Database is closed") and its servers. The owner holds
 * `<stateDir>/aurora-restore.lock`: created atomically (a complete file hard-linked into place, so it is
 * never seen half written), naming the holder's pid and start time, its command and, once its local
 * DynamoDB listens, the endpoint other processes may read the tables through. A lock whose process is gone
 * (killed, crashed) is stale and taken over. We chose a lock file over OS locks because Node has no flock(),
 * and the file also tells the refused process who holds the folder.
 */
export const stateLockFileName = "aurora-restore.lock";

/** `runtime`: the local runtime (pipeline, servers); `reader`: a command that only reads the tables, briefly. */
export type LockRole = "runtime" | "reader";

export interface StateLockHolder extends ProcessRef {
  role: LockRole;
  /**
   * Set by `aurora-restore local up`: this runtime takes other processes' requests through the state folder
   * (control/request-channel.ts), so a command that finds it hands its work over instead of being refused.
   */
  servesRequests?: true;
  /** What the holder runs, e.g. `aurora-restore demo` (as typed: print it escaped). */
  command: string;
  since: string;
  host: string;
  /** Tells this acquisition from another by the same process. */
  token: string;
  /** The holder's local DynamoDB (http://127.0.0.1:port), for readers alongside it. */
  endpoint?: string;
}

export class StateFolderBusyError extends Error {
  override name = "StateFolderBusyError";
  constructor(
    readonly stateDir: string,
    readonly holder: StateLockHolder,
  ) {
    super(
      `The state folder ${stateDir} is in use by process ${holder.pid} (${holder.command}, since ${holder.since}${holder.host === hostname() ? "" : ` on ${holder.host}`}): wait for it to finish, stop it, or use another state folder`,
    );
  }
}

let processLabel = [basename(process.argv[1] ?? "node"), ...process.argv.slice(2)].join(" ");

/** How this process is named in the locks it takes (the CLI sets `aurora-restore <command...>`). */
export function setProcessLabel(label: string): void {
  processLabel = label.length > 200 ? `${label.slice(0, 199)}…` : label;
}

export interface StateLock {
  readonly file: string;
  readonly holder: StateLockHolder;
  /** Records where this holder's local DynamoDB listens, for readers. */
  publishEndpoint(endpoint: string): Promise<void>;
  /** Removes the lock if it is still this one; safe to call twice. Also done at process exit. */
  release(): Promise<void>;
}

export function stateLockFile(stateDir: string): string {
  return join(stateDir, stateLockFileName);
}

type Reading =
  | { kind: "missing" }
  | { kind: "unreadable"; ageMs: number }
  | { kind: "held"; holder: StateLockHolder };

async function readLock(file: string): Promise<Reading> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing" };
    throw error;
  }
  try {
    const holder = JSON.parse(text) as StateLockHolder;
    if (Number.isInteger(holder.pid) && typeof holder.token === "string") return { kind: "held", holder };
  } catch {
    // fall through: not a lock this code wrote (or a torn write by an older version)
  }
  const ageMs = await stat(file).then(
    (s) => Date.now() - s.mtimeMs,
    () => 0,
  );
  return { kind: "unreadable", ageMs };
}

/** The live holder of the state folder's lock, if any (a stale lock counts as none). */
export async function currentLockHolder(stateDir: string): Promise<StateLockHolder | undefined> {
  const reading = await readLock(stateLockFile(stateDir));
  return reading.kind === "held" && holderIsLive(reading.holder) ? reading.holder : undefined;
}

function holderIsLive(holder: StateLockHolder): boolean {
  // Another machine's process (a state folder on a network share) cannot be checked: assume it lives.
  if (holder.host !== hostname()) return true;
  return isRunning(holder);
}

/** Creates `file` with `content` only if it does not exist, never visible half written. */
async function createExclusive(file: string, content: string): Promise<boolean> {
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temp, content, { mode: 0o600, flag: "wx" });
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    // A file system without hard links: an exclusive create (a reader may briefly see it empty).
    try {
      await writeFile(file, content, { mode: 0o600, flag: "wx" });
      return true;
    } catch (fallback) {
      if ((fallback as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/**
 * Removes a stale lock, unless another process replaced it meanwhile: the removal is serialised by a second
 * exclusive file, and the lock is re-read under it.
 */
async function removeStale(file: string, stale: Reading): Promise<boolean> {
  const guard = `${file}.takeover`;
  if (!(await createExclusive(guard, `${process.pid}\n`))) {
    // Another process is taking over; a guard left by one that died mid-way expires after 10 s.
    const age = await stat(guard).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > 10_000) await unlink(guard).catch(() => undefined);
    return false;
  }
  try {
    const now = await readLock(file);
    const same =
      (now.kind === "held" && stale.kind === "held" && now.holder.token === stale.holder.token) ||
      (now.kind === "unreadable" && stale.kind === "unreadable");
    if (same) await unlink(file).catch(() => undefined);
    return true;
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

/** Locks this process holds, removed synchronously if it exits without releasing them. */
const heldLocks = new Map<string, string>();
let exitHookInstalled = false;
function releaseAtExit(): void {
  for (const [file, token] of heldLocks) {
    try {
      if ((JSON.parse(readFileSync(file, "utf8")) as StateLockHolder).token === token) unlinkSync(file);
    } catch {
      // gone already, or not ours
    }
  }
  heldLocks.clear();
}

/**
 * Takes the state folder's lock (the folder must exist). A live holder refuses it with
 * StateFolderBusyError, except that a `reader` holder (a command that only reads, for a moment) is waited
 * for up to `waitForReadersMs` (default 10 s). A stale lock is taken over.
 */
export async function acquireStateLock(
  stateDir: string,
  options: { role: LockRole; waitForReadersMs?: number; servesRequests?: boolean },
): Promise<StateLock> {
  const file = stateLockFile(stateDir);
  const holder: StateLockHolder = {
    ...currentProcess(),
    role: options.role,
    ...(options.servesRequests ? { servesRequests: true as const } : {}),
    command: processLabel,
    since: new Date().toISOString(),
    host: hostname(),
    token: randomUUID(),
  };
  const deadline = Date.now() + (options.waitForReadersMs ?? 10_000);
  for (;;) {
    if (await createExclusive(file, `${JSON.stringify(holder)}\n`)) break;
    const reading = await readLock(file);
    if (reading.kind === "missing") continue;
    if (reading.kind === "unreadable") {
      // Being written on a file system without hard links, or left torn: stale after 5 s.
      if (reading.ageMs > 5_000) await removeStale(file, reading);
      await sleep(50);
      continue;
    }
    if (!holderIsLive(reading.holder)) {
      if (!(await removeStale(file, reading))) await sleep(50);
      continue;
    }
    if (reading.holder.role === "reader" && Date.now() < deadline) {
      await sleep(100);
      continue;
    }
    throw new StateFolderBusyError(stateDir, reading.holder);
  }
  heldLocks.set(file, holder.token);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", releaseAtExit);
  }
  let released = false;
  return {
    file,
    holder,
    async publishEndpoint(endpoint) {
      holder.endpoint = endpoint;
      const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
      await writeFile(temp, `${JSON.stringify(holder)}\n`, { mode: 0o600, flag: "wx" });
      await rename(temp, file);
    },
    async release() {
      if (released) return;
      released = true;
      heldLocks.delete(file);
      const reading = await readLock(file).catch(() => undefined);
      if (reading?.kind === "held" && reading.holder.token === holder.token) {
        await unlink(file).catch(() => undefined);
      }
    },
  };
}
