import { randomUUID } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

/** Environment variable that moves the local state folder (clusters, keys, secrets, messages). */
export const stateDirEnvVar = "AURORA_RESTORE_STATE_DIR";
export const defaultStateDirName = ".aurora-restore";

/**
 * The local state folder as an absolute path: the explicit option first, then AURORA_RESTORE_STATE_DIR,
 * then `.aurora-restore/` in the working directory.
 */
export function resolveStateDir(
  options: { stateDir?: string; env?: Record<string, string | undefined>; cwd?: string } = {},
): string {
  const cwd = options.cwd ?? process.cwd();
  const fromEnv = (options.env ?? process.env)[stateDirEnvVar];
  const chosen = options.stateDir ?? (fromEnv && fromEnv.trim() !== "" ? fromEnv : defaultStateDirName);
  return resolve(cwd, chosen);
}

/** A state folder that cannot be used as asked: missing where it must exist, or not a folder. */
export class StateDirError extends Error {
  override name = "StateDirError";
  constructor(
    message: string,
    readonly stateDir: string,
  ) {
    super(message);
  }
}

async function kindOf(path: string): Promise<"missing" | "directory" | "other"> {
  try {
    return (await stat(path)).isDirectory() ? "directory" : "other";
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw error;
  }
}

/** For commands that only read state: the folder must exist, and nothing is created (a typo stays a typo). */
export async function requireExistingStateDir(stateDir: string): Promise<void> {
  const kind = await kindOf(stateDir);
  if (kind === "missing") throw new StateDirError(`the state folder ${stateDir} does not exist`, stateDir);
  if (kind === "other") throw new StateDirError(`the state folder ${stateDir} is not a folder`, stateDir);
}

/**
 * For commands that create state: the folder may be new, but its parent must already exist, so a mistyped
 * path is refused rather than created along with every missing ancestor.
 */
export async function requireCreatableStateDir(stateDir: string): Promise<void> {
  const kind = await kindOf(stateDir);
  if (kind === "directory") return;
  if (kind === "other") throw new StateDirError(`the state folder ${stateDir} is not a folder`, stateDir);
  const parent = dirname(stateDir);
  if ((await kindOf(parent)) !== "directory") {
    throw new StateDirError(
      `cannot create the state folder ${stateDir}: its parent ${parent} does not exist (a typo?)`,
      stateDir,
    );
  }
}

/**
 * Creates `<base>/<segments...>` (and any missing parents) readable by the current user only (0700). The
 * leaf is re-tightened when it already existed with a looser mode, since it may hold key material.
 */
export async function ensurePrivateDir(base: string, ...segments: string[]): Promise<string> {
  const dir = join(base, ...segments);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  return dir;
}

/**
 * Writes JSON so that readers see the old file or the new one, never half of one: a temp file in the same
 * folder (created with `mode`, default 0600) renamed over the target. Parent folders are created 0700.
 */
export async function writeJsonFileAtomic(file: string, value: unknown, options: { mode?: number } = {}) {
  const mode = options.mode ?? 0o600;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode, flag: "wx" });
    // writeFile's mode is filtered by the umask; set it exactly.
    await chmod(temp, mode);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Parsed JSON of `file`, or undefined when it does not exist. Malformed JSON throws, naming the file. */
export async function readJsonFile<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`${file} is not valid JSON; restore it from a backup or delete it to start afresh`, {
      cause: error,
    });
  }
}

/**
 * Runs tasks one after another in submission order (a promise chain), so read-modify-write cycles on one
 * file never interleave. A failed task rejects its own caller only; later tasks still run.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(() => task());
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
