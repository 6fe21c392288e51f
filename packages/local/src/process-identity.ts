import { readFileSync } from "node:fs";

/**
 * A process as another process can recognise it later: its pid and, where the OS says (Linux), when it
 * started, so a pid the OS has since given to an unrelated process is not mistaken for the original.
 */
export interface ProcessRef {
  pid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat); absent off Linux. */
  startTime?: string;
}

/** Field 22 (starttime) and field 3 (state) of /proc/<pid>/stat, or undefined off Linux / when gone. */
function procStat(pid: number): { state: string; startTime: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after its last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = fields[0];
  const startTime = fields[19];
  return state && startTime ? { state, startTime } : undefined;
}

export function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.startTime;
}

export function currentProcess(): ProcessRef {
  const startTime = processStartTime(process.pid);
  return { pid: process.pid, ...(startTime ? { startTime } : {}) };
}

/**
 * True while the process exists and has not exited: a zombie (killed, not yet reaped by its parent) counts as
 * dead. A process of another user (EPERM) counts as alive.
 */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return procStat(pid)?.state !== "Z";
}

/** True while the very process `ref` names is alive (same pid and, when known, same start time). */
export function isRunning(ref: ProcessRef): boolean {
  if (!isAlive(ref.pid)) return false;
  if (ref.startTime === undefined) return true;
  const now = processStartTime(ref.pid);
  return now === undefined || now === ref.startTime;
}
