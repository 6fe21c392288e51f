/**
 * Suite 2 of the reliability suite (issue 9): crash at every stage. A real process (fixtures/crash-runner.ts)
 * runs a refresh on a state folder and sends itself SIGKILL right after a side effect, before the stage
 * records it; the next process on the same folder must complete the operation with no second copy, cluster,
 * instance, secret version or user, and no PostgreSQL server may outlive the process that started it.
 *
 * Each kill point runs twice in a fresh folder: `crash` (dies at the kill point), then `resume` (starts the
 * runtime on the folder and waits for the operation's end, its notification and its cleanup). The side
 * effects of both runs, counted at the ports (support/world.ts `sideEffects`), must add up to those of one
 * undisturbed refresh (a baseline run of the same fixture), call for call, except the repeats listed per kill
 * point (`allowed`, with why): the interrupted call itself, and only where doing it twice is the same request
 * (sharing with an account already shared, the same master password, ALTER ROLE with the same password on the
 * role the CREATE ROLE made, a GRANT held already, the same masking UPDATE) -- plus the SNS notification, which
 * is at least once (see notificationRepeat). Calls that fail when repeated (a copy, restore, instance or secret
 * that already exists, a snapshot already deleted) are not successful calls and count for nothing. A count
 * short of the baseline is allowed only for a call a kill cut off in flight in a concurrent delivery; the end
 * state says whether its effect happened: the operation `succeeded`, notified and cleaned up, every AWSCURRENT
 * logs in and no AWSPENDING is left, no intermediate snapshot is left.
 *
 * Figures (recordReliability "crash-recovery"): faults = kills, lost = operations a next start did not end,
 * repeatedSideEffects = repeats beyond the allowed ones, leaks = PostgreSQL processes left by a killed process
 * (3 s after its death) or by the next one (after it stopped).
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { chmod, cp, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordReliability } from "../../../../test/reliability/record";
import type { PortCall } from "../../src/runtime/port-counters";
import type { CallLine, RunOutcome } from "./fixtures/crash-runner";
import { sideEffectTotals } from "./support/world";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const fixture = fileURLToPath(new URL("./fixtures/crash-runner.ts", import.meta.url));
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
/**
 * Kill points run three at a time (each is two processes one after the other, each busy ~70% of a core, waiting
 * on its own I/O and timers the rest): enough to keep the 2 cores of the suite's machine busy, no more.
 */
const parallel = Number(process.env.AURORA_RESTORE_CRASH_PARALLEL ?? 3);

interface KillPoint {
  stage: string;
  /** What had just happened when the process died. */
  what: string;
  /** `[before:]port.call[@stage][#n]` (see crash-runner.ts). */
  spec: string;
  /** 2: the kill is in a second refresh of the target (the cutover replaces an existing cluster). */
  refreshes?: 1 | 2;
  /**
   * Side effects that may happen once more than in an undisturbed refresh, and why: only the call that was
   * interrupted, and only where repeating it cannot double anything (AWS treats it as the same request).
   */
  allowed?: Record<string, { count: number; why: string }>;
}

/**
 * The one repeat no AWS idempotency covers: SNS Publish to a standard topic takes no idempotency key. Killed
 * between the publish and its record, the next start cannot know it was sent; it sends it again rather than
 * risk none (at least once, as a standard topic delivers anyway: subscribers drop the copy by the operationId
 * attribute). notify runs beside cleanup on the same event, so a kill in cleanup may catch notify there too.
 */
const notificationRepeat = {
  count: 1,
  why: "SNS Publish (standard topic) has no idempotency key: at least once, the copy carries the same operationId",
};

const killPoints: KillPoint[] = [
  { stage: "prepare", what: "the shareable copy was started", spec: "rds.copyClusterSnapshot#1" },
  {
    stage: "prepare",
    what: "the shareable copy was shared with the target account",
    spec: "rds.shareClusterSnapshot",
    allowed: {
      "rds.shareClusterSnapshot": {
        count: 1,
        why: "ModifyDBClusterSnapshotAttribute adding an account that is already there changes nothing",
      },
    },
  },
  {
    stage: "copy",
    what: "hop 1 (target account, source region) was started",
    spec: "rds.copyClusterSnapshot#2",
  },
  { stage: "copy", what: "hop 2 (into the target region) was started", spec: "rds.copyClusterSnapshot#3" },
  { stage: "restore", what: "the -next cluster restore was started", spec: "rds.restoreClusterFromSnapshot" },
  { stage: "restore", what: "the instance was created", spec: "rds.createInstance" },
  { stage: "configure", what: "the master secret was created", spec: "secrets.createSecret#1" },
  {
    stage: "configure",
    what: "the master password was set",
    spec: "rds.modifyCluster@configure",
    allowed: {
      "rds.modifyCluster": {
        count: 1,
        why: "the resumed configure sets the same password again (read back from the secret version it staged under the operation's ClientRequestToken)",
      },
    },
  },
  {
    stage: "configure",
    what: "the first application user was created",
    spec: "database.CREATE ROLE#1",
    allowed: {
      "database.ALTER ROLE": {
        count: 1,
        why: "the resumed configure finds the role it created and sets the same password on it (ALTER ROLE), from the secret version staged under the operation's id: still one user",
      },
    },
  },
  {
    stage: "configure",
    what: "the first user's last grant",
    spec: "database.GRANT#3",
    allowed: {
      // A delivery's records are written when it ends (one audit item), the users' and grants' with the next
      // post-restore statement: a configure killed among them does that user's statements again.
      "database.ALTER ROLE": {
        count: 1,
        why: "the resumed configure finds the role it created and sets the same password on it (ALTER ROLE)",
      },
      "database.GRANT": { count: 3, why: "GRANT of a privilege the role holds already changes nothing" },
    },
  },
  {
    stage: "configure",
    what: "the masking SQL ran",
    spec: "database.UPDATE",
    allowed: {
      "database.UPDATE": {
        count: 1,
        why: "the masking statement sets values derived from the row's id only: run twice, the same rows",
      },
    },
  },
  {
    stage: "configure",
    what: "configured was recorded, ClusterConfigured not yet put on the bus",
    spec: "before:events.ClusterConfigured",
  },
  { stage: "verify", what: "a check ran", spec: "database.SELECT@verify#1" },
  {
    stage: "verify",
    what: "verified was recorded, RestoreVerified not yet put on the bus",
    spec: "before:events.RestoreVerified",
  },
  { stage: "cutover", what: "the new cluster was renamed in", spec: "rds.modifyCluster@cutover" },
  {
    stage: "cutover",
    what: "completed was recorded, RestoreCompleted not yet put on the bus",
    spec: "before:events.RestoreCompleted",
  },
  {
    stage: "notify",
    what: "the notification was published",
    spec: "sns.publish",
    allowed: { "sns.publish": notificationRepeat },
  },
  {
    stage: "cleanup",
    what: "the first intermediate snapshot was deleted",
    spec: "rds.deleteClusterSnapshot#1",
    // Deleting it again fails (DBClusterSnapshotNotFoundFault, "already gone"): not a successful call.
    allowed: { "sns.publish": notificationRepeat },
  },
  // A second refresh of the same target: the existing cluster is renamed away, then deleted.
  {
    stage: "configure",
    what: "new credentials were staged (AWSPENDING) in the existing master secret",
    spec: "secrets.putSecretValue@configure#1",
    refreshes: 2,
  },
  {
    stage: "cutover",
    what: "the old instance was renamed away",
    spec: "rds.renameInstance@cutover#1",
    refreshes: 2,
  },
  {
    stage: "cutover",
    what: "the old cluster was renamed away",
    spec: "rds.modifyCluster@cutover#1",
    refreshes: 2,
  },
  {
    stage: "cutover",
    what: "the master secret was promoted",
    spec: "secrets.putSecretValue@cutover#1",
    refreshes: 2,
  },
  {
    stage: "cutover",
    what: "AWSPENDING was removed from the promoted master secret",
    spec: "secrets.updateSecretVersionStage@cutover#1",
    refreshes: 2,
  },
  { stage: "cutover", what: "the old instance was deleted", spec: "rds.deleteInstance", refreshes: 2 },
  { stage: "cutover", what: "the old cluster was deleted", spec: "rds.deleteCluster", refreshes: 2 },
];

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * The fixture, bundled once by esbuild (our packages inlined; every other package left to node, resolved from
 * the module importing it, as node itself would): each of the suite's ~50 processes then starts in a fraction
 * of the CPU time tsx needs to resolve and transform ~300 modules per process. The bundle lives under the
 * repository's node_modules/.cache so that what it imports at run time by name (the PostgreSQL binaries)
 * resolves as from the source. AURORA_RESTORE_CRASH_TSX=1 runs the script itself with tsx instead.
 */
async function bundleFixture(): Promise<string[]> {
  if (process.env.AURORA_RESTORE_CRASH_TSX === "1") return ["--import", "tsx", fixture];
  const outfile = join(
    repoRoot,
    "node_modules",
    ".cache",
    "aurora-restore",
    `crash-runner-${process.pid}.mjs`,
  );
  const externalPackages: Plugin = {
    name: "external-packages",
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.path.startsWith("@aurora-restore/") || args.pluginData === "resolving") return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          pluginData: "resolving",
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        return { path: resolved.path, external: true };
      });
    },
  };
  await build({
    entryPoints: [fixture],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "silent",
    plugins: [externalPackages],
  });
  bundled = outfile;
  return [outfile];
}

let bundled: string | undefined;
let runner: string[] = [];

/** Runs the fixture as a child process; resolves when it has exited, however it ended. */
function runFixture(args: string[]): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...runner, ...args], {
      cwd: repoRoot,
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (chunk) => {
      stderr += String(chunk);
    });
    child.on("exit", (code, signal) => resolve({ code, signal, stderr }));
  });
}

function readCalls(file: string): CallLine[] {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as CallLine);
}

/** The side-effect calls that ended (successfully or not). */
function ended(lines: CallLine[]): PortCall[] {
  return lines.filter((l) => l.at === "end");
}

/** Side-effect calls a kill cut off in flight (started, never ended): they may or may not have had their effect. */
function inFlight(lines: CallLine[]): Record<string, number> {
  const open: Record<string, number> = {};
  for (const line of lines) {
    const key = `${line.port}.${line.call}`;
    open[key] = (open[key] ?? 0) + (line.at === "start" ? 1 : -1);
  }
  return Object.fromEntries(Object.entries(open).filter(([, n]) => n > 0));
}

async function readOutcome(file: string): Promise<RunOutcome> {
  return JSON.parse(await readFile(file, "utf8")) as RunOutcome;
}

/** Per call, what `actual` did beyond `expected` (excess) and short of it (missing). */
function compare(actual: Record<string, number>, expected: Record<string, number>) {
  const excess: Record<string, number> = {};
  const missing: Record<string, number> = {};
  for (const key of new Set([...Object.keys(actual), ...Object.keys(expected)])) {
    const difference = (actual[key] ?? 0) - (expected[key] ?? 0);
    if (difference > 0) excess[key] = difference;
    if (difference < 0) missing[key] = -difference;
  }
  return { excess, missing };
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

function postgresProcesses(stateDir: string) {
  return processesMentioning(stateDir).filter((p) => /(^|\/)postgres(\s|$)|postgres:/.test(p.cmd));
}

async function waitUntil(condition: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    if (condition()) return true;
  }
  return condition();
}

/** A slot among `parallel`: kill points wait their turn. */
const slots = (() => {
  let free = parallel;
  const waiting: (() => void)[] = [];
  return async <T>(run: () => Promise<T>): Promise<T> => {
    if (free === 0) await new Promise<void>((resolve) => waiting.push(resolve));
    else free -= 1;
    try {
      return await run();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free += 1;
    }
  };
})();

const figures = {
  operations: 0,
  faults: 0,
  lost: 0,
  repeatedSideEffects: 0,
  leaks: 0,
  events: 0,
  /** Repeats of an interrupted call the kill point allows (not counted as repeated side effects). */
  allowedRepeats: 0,
};
let root: string;

interface Baseline {
  stateDir: string;
  totals: Record<string, number>;
}

/** Runs kill point `point` in a fresh folder (a copy of the first baseline's for a second refresh). */
async function crashAndResume(point: KillPoint, name: string, clusters: "instant" | "postgres" = "instant") {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const stateDir = join(dir, "state");
  const refreshes = point.refreshes ?? 1;
  if (refreshes === 2) await cp((await baseline(1)).stateDir, stateDir, { recursive: true });
  const callsFile = join(dir, "calls.jsonl");
  const common = ["--state-dir", stateDir, "--calls", callsFile, "--clusters", clusters];
  const crash = await runFixture([
    "--mode",
    "crash",
    ...common,
    ...["--out", join(dir, "crash.json"), "--refreshes", String(refreshes), "--crash-after", point.spec],
  ]);
  figures.faults += crash.signal === "SIGKILL" ? 1 : 0;
  const crashLines = readCalls(callsFile);
  const afterCrash = { postgres: [] as { pid: number; cmd: string }[] };
  if (clusters === "postgres") {
    // The watchdogs stop the crashed process's servers within ~2 s (rds/server-guard.ts).
    await waitUntil(() => postgresProcesses(stateDir).length === 0, 3_000);
    afterCrash.postgres = postgresProcesses(stateDir);
  }
  const resume = await runFixture(["--mode", "resume", ...common, "--out", join(dir, "resume.json")]);
  const outcome = resume.code === 0 ? await readOutcome(join(dir, "resume.json")) : undefined;
  return {
    dir,
    stateDir,
    crash,
    afterCrash,
    resume,
    outcome,
    inFlight: inFlight(crashLines),
    totals: sideEffectTotals(ended(readCalls(callsFile))),
  };
}

/** Runs an undisturbed refresh (`refreshes` 2: a second one, in a copy of the first baseline's folder). */
async function runBaseline(refreshes: 1 | 2): Promise<Baseline> {
  const dir = join(root, `baseline-${refreshes}`);
  await mkdir(dir);
  const stateDir = join(dir, "state");
  if (refreshes === 2) await cp((await baseline(1)).stateDir, stateDir, { recursive: true });
  const callsFile = join(dir, "calls.jsonl");
  const out = join(dir, "out.json");
  const run = await slots(() =>
    runFixture([
      ...["--mode", "baseline", "--state-dir", stateDir, "--calls", callsFile, "--out", out],
      ...["--refreshes", String(refreshes)],
    ]),
  );
  if (run.code !== 0) throw new Error(`baseline of ${refreshes} refresh(es) failed: ${run.stderr}`);
  const outcome = await readOutcome(out);
  const statuses = outcome.operations.map((o) => o.status);
  if (
    statuses.length !== refreshes ||
    statuses.some((s) => s !== "succeeded") ||
    outcome.leftoverSnapshots.length > 0
  ) {
    throw new Error(`baseline of ${refreshes} refresh(es): ${JSON.stringify(outcome)}`);
  }
  figures.operations += 1;
  figures.events += outcome.events;
  return { stateDir, totals: sideEffectTotals(ended(readCalls(callsFile))) };
}

const baselineRuns = new Map<1 | 2, Promise<Baseline>>();

/** The undisturbed refreshes every kill point is compared with, each run once (on first use). */
function baseline(refreshes: 1 | 2): Promise<Baseline> {
  let run = baselineRuns.get(refreshes);
  if (!run) {
    run = runBaseline(refreshes);
    baselineRuns.set(refreshes, run);
  }
  return run;
}

/** What every kill point must show once the next start is done; adds to the suite's figures. */
async function expectCompleted(point: KillPoint, run: Awaited<ReturnType<typeof crashAndResume>>) {
  // Died at the kill point, by SIGKILL (the kill point came), then the next start ran to its end.
  expect(run.crash.signal, run.crash.stderr).toBe("SIGKILL");
  expect(run.resume.code, run.resume.stderr).toBe(0);
  const outcome = run.outcome!;
  const operations = outcome.operations;
  const done = operations.filter((o) => o.status !== "running");
  figures.operations += done.length - ((point.refreshes ?? 1) - 1);
  figures.lost += operations.length - done.length;
  figures.events += outcome.events;

  const { excess, missing } = compare(run.totals, (await baseline(point.refreshes ?? 1)).totals);
  const unexplained: Record<string, number> = {};
  for (const [key, count] of Object.entries(excess)) {
    const allowed = Math.min(count, point.allowed?.[key]?.count ?? 0);
    figures.allowedRepeats += allowed;
    if (count > allowed) unexplained[key] = count - allowed;
  }
  // A call another delivery had in flight when the process died (notify and cleanup run side by side) may
  // have had its effect without being counted: the end state below says whether anything is missing.
  const unaccounted: Record<string, number> = {};
  for (const [key, count] of Object.entries(missing)) {
    const short = count - (run.inFlight[key] ?? 0);
    if (short > 0) unaccounted[key] = short;
  }
  figures.repeatedSideEffects += Object.values(unexplained).reduce((a, b) => a + b, 0);

  const last = operations[operations.length - 1];
  expect(last?.status, JSON.stringify({ last, warnings: outcome.warnings }, null, 1)).toBe("succeeded");
  expect(outcome.effects[last!.operationId]).toEqual({ notified: true, cleanedUp: true });
  expect({ unexplained, missing: unaccounted }).toEqual({ unexplained: {}, missing: {} });
  expect(outcome.credentialProblems).toEqual([]);
  expect(outcome.leftoverSnapshots).toEqual([]);
}

/**
 * Quick mode (AURORA_RESTORE_QUICK=1, what .ci/run sets): the first kill point of each stage in each refresh
 * (10 of the 25 on instant clusters: every stage is still killed) and the PostgreSQL one; `npm run test:reliability` runs all.
 */
const quick = process.env.AURORA_RESTORE_QUICK === "1";
const quickKillPoints = new Set(firstPerStage(killPoints));

function firstPerStage(points: readonly KillPoint[]): KillPoint[] {
  const seen = new Map<string, KillPoint>();
  for (const point of points) {
    const key = `${point.stage}/${point.refreshes ?? 1}`;
    if (!seen.has(key)) seen.set(key, point);
  }
  return [...seen.values()];
}

const title = (point: KillPoint) =>
  `${point.stage}: killed after ${point.what} (${point.spec}${point.refreshes === 2 ? ", second refresh" : ""})`;

describe.skipIf(process.platform !== "linux")("crash at every stage: kill -9, then the next start", () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "aurora-crash-"));
    // Run as root, real PostgreSQL servers run as 'postgres', which must pass through this folder.
    await chmod(root, 0o711);
    runner = await bundleFixture();
    const first = await baseline(1);
    expect(first.totals["rds.restoreClusterFromSnapshot"]).toBe(1);
  }, 300_000);

  afterAll(async () => {
    recordReliability("crash-recovery", {
      operations: figures.operations,
      events: figures.events,
      faults: figures.faults,
      lost: figures.lost,
      repeatedSideEffects: figures.repeatedSideEffects,
      leaks: figures.leaks,
    });
    console.log(
      `crash-recovery: ${figures.faults} kills, ${figures.operations} operations, lost=${figures.lost} ` +
        `repeatedSideEffects=${figures.repeatedSideEffects} (allowed repeats: ${figures.allowedRepeats}) ` +
        `leaks=${figures.leaks}`,
    );
    if (bundled) await rm(bundled, { force: true });
    if (!root) return;
    // Whatever a failed test left behind, and only that: processes naming this suite's own folder.
    for (const { pid } of processesMentioning(root)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    await rm(root, { recursive: true, force: true });
  });

  describe.concurrent("instant clusters", () => {
    for (const [index, point] of killPoints.entries()) {
      it.skipIf(quick && !quickKillPoints.has(point))(
        title(point),
        async () => {
          if (point.refreshes === 2) await baseline(2);
          const run = await slots(() => crashAndResume(point, `kill-${index + 1}`));
          await expectCompleted(point, run);
        },
        600_000,
      );
    }

    // One kill point with real PostgreSQL servers: none outlives the killed process, the next start completes.
    const postgres: KillPoint = {
      stage: "configure",
      what: "the first application user was created, on real PostgreSQL clusters",
      spec: "database.CREATE ROLE#1",
      allowed: killPoints.find((p) => p.spec === "database.CREATE ROLE#1")!.allowed!,
    };
    it(title(postgres), async () => {
      const run = await slots(() => crashAndResume(postgres, "kill-postgres", "postgres"));
      // Measured once the crashed process was dead, and again after the next process stopped.
      const left = postgresProcesses(run.stateDir);
      figures.leaks += run.afterCrash.postgres.length + left.length;
      expect(run.afterCrash.postgres).toEqual([]);
      expect(left).toEqual([]);
      await expectCompleted(postgres, run);
    }, 900_000);
  });
});
