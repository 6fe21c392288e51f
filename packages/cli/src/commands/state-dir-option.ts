import {
  defaultStateDirName,
  requireCreatableStateDir,
  requireExistingStateDir,
  resolveStateDir,
  StateDirError,
  stateDirEnvVar,
} from "@aurora-restore/local/state-dir";
import { escapeControl, UsageError } from "../io";
import { type ParsedArgs, stringFlag } from "./option-values";

/** Where the state folder came from, as the user wrote it (escaped for printing). */
function origin(parsed: ParsedArgs, env: NodeJS.ProcessEnv): string {
  const flag = stringFlag(parsed, "state-dir");
  if (flag !== undefined) return `--state-dir ${escapeControl(flag)}`;
  const fromEnv = env[stateDirEnvVar];
  if (fromEnv && fromEnv.trim() !== "") return `${stateDirEnvVar}=${escapeControl(fromEnv)}`;
  return `the default ${defaultStateDirName}`;
}

/**
 * The state folder of a command that only reads state: it must exist, and nothing is created (a mistyped
 * --state-dir used to be created, empty, and reported as having no operations). Exit 2 otherwise.
 */
export async function existingStateDir(parsed: ParsedArgs, env = process.env): Promise<string> {
  const stateDir = resolveStateDir({ stateDir: stringFlag(parsed, "state-dir"), env });
  try {
    await requireExistingStateDir(stateDir);
  } catch (error) {
    if (!(error instanceof StateDirError)) throw error;
    const hint =
      stringFlag(parsed, "state-dir") === undefined && !env[stateDirEnvVar]
        ? "run 'npm start' (aurora-restore demo) first, or pass --state-dir"
        : "check the path; nothing was created";
    throw new UsageError(`${escapeControl(error.message)} (${origin(parsed, env)}): ${hint}`);
  }
  return stateDir;
}

/**
 * The state folder of a command that creates state (demo, restore): it may be new, but an explicit path
 * whose parent does not exist is refused (exit 2) rather than created with all its ancestors.
 */
export async function creatableStateDir(parsed: ParsedArgs, env = process.env): Promise<string> {
  const stateDir = resolveStateDir({ stateDir: stringFlag(parsed, "state-dir"), env });
  try {
    await requireCreatableStateDir(stateDir);
  } catch (error) {
    if (!(error instanceof StateDirError)) throw error;
    throw new UsageError(`${escapeControl(error.message)} (${origin(parsed, env)})`);
  }
  return stateDir;
}
