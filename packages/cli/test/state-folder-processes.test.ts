/**
 * Issue 9, "no orphan, no wedge", with real processes as a user runs them: a process holding a state folder
 * (fixtures/hold-state.ts: its lock, its tables and one real PostgreSQL cluster) is killed with SIGKILL,
 * SIGTERM or SIGHUP, and other CLI processes are run on the folder meanwhile.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { demoPlan } from "@aurora-restore/local/demo/demo-plan";
import { isAlive } from "@aurora-restore/local/process-identity";
import { stopOrphanServers } from "@aurora-restore/local/rds/server-guard";
import { stateLockFile } from "@aurora-restore/local/state-lock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const fixture = fileURLToPath(new URL("./fixtures/hold-state.ts", import.meta.url));
const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url));
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Holder {
  child: ChildProcess;
  exited: Promise<Exit>;
  stderr(): string;
}

/** Starts the fixture and resolves once its cluster is available. */
async function startHolder(stateDir: string): Promise<Holder> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture, stateDir], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr!.on("data", (chunk) => {
    err += String(chunk);
  });
  const exited = new Promise<Exit>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk) => {
      out += String(chunk);
      if (out.includes("ready\n")) resolve();
    });
    void exited.then((exit) => reject(new Error(`the fixture ended (${JSON.stringify(exit)}): ${err}`)));
  });
  return { child, exited, stderr: () => err };
}

/** Runs the CLI as a user does: a new process. */
function runCliProcess(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", bin, ...args], {
      cwd: repoRoot,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => {
      stdout += String(c);
    });
    child.stderr.on("data", (c) => {
      stderr += String(c);
    });
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Live processes (zombies excluded) whose command line mentions `text`, this one excepted. */
function processesMentioning(text: string): { pid: number; cmd: string }[] {
  const found: { pid: number; cmd: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      if (cmd.includes(text)) found.push({ pid, cmd });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function waitUntil(condition: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    if (condition()) return true;
  }
  return condition();
}

/** The fixture's one cluster: its data directory and postmaster pid. */
function cluster(stateDir: string): { clustersDir: string; dataDir: string; postmaster: number } {
  const clustersDir = join(stateDir, "rds", "clusters");
  const [resourceId] = readdirSync(clustersDir);
  const dataDir = join(clustersDir, resourceId!, "data");
  const postmaster = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  return { clustersDir, dataDir, postmaster };
}

function postgresGone(dataDir: string, postmaster: number): boolean {
  return !isAlive(postmaster) && processesMentioning(dataDir).length === 0;
}

describe.skipIf(process.platform !== "linux")("[slow] processes on one state folder", () => {
  let dir: string;
  let stateDir: string;
  let planFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "aurora-procs-"));
    // Run as root, the servers run as 'postgres', which must pass through this folder.
    await chmod(dir, 0o711);
    stateDir = join(dir, "state");
    planFile = join(dir, "plan.json");
    await writeFile(
      planFile,
      JSON.stringify(demoPlan("arn:aws:sns:eu-west-1:222222222222:aurora-restore-notifications")),
    );
  });

  afterAll(async () => {
    // Whatever a failed test left behind, and only that: processes naming this test's own folder.
    for (const { pid } of processesMentioning(dir)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    for (const resourceId of existsSync(join(stateDir, "rds", "clusters"))
      ? readdirSync(join(stateDir, "rds", "clusters"))
      : []) {
      const pidFile = join(stateDir, "rds", "clusters", resourceId, "data", "postmaster.pid");
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").split("\n")[0]) : 0;
      if (pid > 0 && isAlive(pid)) process.kill(pid, "SIGQUIT");
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("kill -9: no PostgreSQL outlives the process that started it by more than ~2 s", async () => {
    const holder = await startHolder(stateDir);
    const { dataDir, postmaster } = cluster(stateDir);
    expect(isAlive(postmaster)).toBe(true);
    holder.child.kill("SIGKILL");
    expect(await holder.exited).toEqual({ code: null, signal: "SIGKILL" });
    expect(await waitUntil(() => postgresGone(dataDir, postmaster), 3_000)).toBe(true);
    // The killed process could not remove its lock: the next one takes it over (below).
    expect(JSON.parse(await readFile(stateLockFile(stateDir), "utf8")).pid).toBe(holder.child.pid);
  }, 120_000);

  it("the stale lock of a killed process is taken over; SIGTERM stops the servers like Ctrl-C (exit 143)", async () => {
    const stale = JSON.parse(await readFile(stateLockFile(stateDir), "utf8")) as { pid: number };
    expect(isAlive(stale.pid)).toBe(false);
    const holder = await startHolder(stateDir);
    expect(JSON.parse(await readFile(stateLockFile(stateDir), "utf8")).pid).toBe(holder.child.pid);
    const { dataDir, postmaster } = cluster(stateDir);
    holder.child.kill("SIGTERM");
    // Handled (an exit code, not death by the signal): the servers were stopped and the lock released.
    expect(await holder.exited).toEqual({ code: 143, signal: null });
    expect(holder.stderr()).toContain("SIGTERM: stopping every local server");
    expect(isAlive(postmaster)).toBe(false);
    expect(await waitUntil(() => postgresGone(dataDir, postmaster), 2_000)).toBe(true);
    expect(existsSync(stateLockFile(stateDir))).toBe(false);
  }, 120_000);

  it("SIGHUP (the terminal closed) stops the servers too (exit 129)", async () => {
    const holder = await startHolder(stateDir);
    const { dataDir, postmaster } = cluster(stateDir);
    holder.child.kill("SIGHUP");
    expect(await holder.exited).toEqual({ code: 129, signal: null });
    expect(isAlive(postmaster)).toBe(false);
    expect(await waitUntil(() => postgresGone(dataDir, postmaster), 2_000)).toBe(true);
    expect(existsSync(stateLockFile(stateDir))).toBe(false);
  }, 120_000);

  it("a second process reads alongside the holder, or is refused with one line naming it (exit 1)", async () => {
    const holder = await startHolder(stateDir);
    try {
      const list = await runCliProcess(["operations", "list", "--state-dir", stateDir]);
      expect(list.stderr).toBe("");
      expect(list.code).toBe(0);
      expect(list.stdout).toContain("No operations in");
      const audit = await runCliProcess(["audit", "op-missing", "--state-dir", stateDir]);
      expect(audit.code).toBe(1);
      expect(audit.stderr).toContain("no audit entries for op-missing");

      const restore = await runCliProcess([
        "restore",
        ...["--plan", planFile, "--target-cluster-id", "staging-db", "--source-snapshot-date", "2025-02-03"],
        ...["--state-dir", stateDir],
      ]);
      const redrive = await runCliProcess(["local", "dlq", "redrive", "--state-dir", stateDir]);
      for (const refused of [restore, redrive]) {
        expect(refused.code).toBe(1);
        expect(refused.stdout).toBe("");
        const lines = refused.stderr.trimEnd().split("\n");
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(
          `the state folder ${stateDir} is in use by process ${holder.child.pid} (hold-state fixture, since `,
        );
        expect(lines[0]).toContain("wait for it to finish, stop it");
        expect(lines[0]).toContain("or use another --state-dir");
      }
      // The holder was not disturbed.
      expect(holder.child.exitCode).toBeNull();
      const again = await runCliProcess(["operations", "list", "--state-dir", stateDir]);
      expect(again.code).toBe(0);
    } finally {
      holder.child.kill("SIGTERM");
      await holder.exited;
    }
  }, 120_000);

  it("a server whose watchdog was killed too is stopped by the next process on the folder", async () => {
    const holder = await startHolder(stateDir);
    const { clustersDir, dataDir, postmaster } = cluster(stateDir);
    const owner = JSON.parse(await readFile(join(dataDir, "..", "server-owner.json"), "utf8")) as {
      pid: number;
      watchdogPid: number;
    };
    expect(owner.pid).toBe(holder.child.pid);
    process.kill(owner.watchdogPid, "SIGKILL");
    holder.child.kill("SIGKILL");
    await holder.exited;
    // Nothing stops it now...
    await new Promise((r) => setTimeout(r, 2_500));
    expect(isAlive(postmaster)).toBe(true);
    // ...until a process opens the folder's clusters (LocalRds.start does this first).
    expect(await stopOrphanServers(clustersDir)).toEqual([dataDir]);
    expect(await waitUntil(() => postgresGone(dataDir, postmaster), 2_000)).toBe(true);
  }, 120_000);
});
