import { chmod, mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { PlanTarget } from "@aurora-restore/core/plan/index";
import type { DbSession } from "@aurora-restore/core/ports/index";
import { generatePassword } from "@aurora-restore/core/security/passwords";
import { INTERMEDIATE_KMS_KEY } from "@aurora-restore/core/stages/copy";
import {
  deleteClusterWithInstances,
  numberedRenames,
  renameCluster,
  scramVerifier,
} from "@aurora-restore/core/stages/kit";
import { runCheck } from "@aurora-restore/core/stages/verify";
import { aliasArn, demoNames, demoProduction, demoStaging } from "@aurora-restore/local/demo/demo-plan";
import { readCredentials } from "@aurora-restore/local/demo/demo-setup";
import { runDemoOn } from "@aurora-restore/local/demo/run-demo";
import { demoDatabase } from "@aurora-restore/local/demo/sample-data";
import { type LocalRuntime, startLocalRuntime } from "@aurora-restore/local/runtime/start-local-runtime";
import { BridgeTap, round } from "./instrument";
import { table } from "./table";

/**
 * pipelineMs vs floorMs: one refresh of a ~N MB "production" through the pipeline (the demo's flow: real
 * PostgreSQL, the demo plan, an automated snapshot's RDS event starting it), then the same primitives called
 * back to back on the same runtime, each started as soon as the previous one is done (the local RDS's own
 * idle(), no polling): snapshot, shareable copy under the source's customer key, share, the two-hop copy into
 * the target account and region under the target key, restore, instance, new master password (until a login
 * with it succeeds), the plan's users, grants and masking SQL, the plan's checks logged in as an application
 * user, and the rename into place. Simulated RDS durations are 0 in both, the watcher runs every 1 s (the
 * local default). The floor runs twice, just before the pipeline's snapshot and just after the refresh, and
 * floorMs is their mean: whatever changes over the run (the machine's load, caches, the file system, the
 * process's warm-up) weighs on both sides alike instead of on whichever runs first.
 */

/** Sample-data customers per MB of database (customers + products + 3 orders each, with their indexes). */
const ROWS_PER_MB = 2_400;
/** pg_database_size of the demo's database before any row (catalogues). */
const EMPTY_DATABASE_MB = 7.5;

type FloorRun = "before" | "after";

export interface OverheadResult {
  pipelineMs: number;
  floorMs: number;
  overheadRatio: number;
  /** Until the demo returned: notify and cleanup (intermediate snapshots deleted) included. */
  pipelineToIdleMs: number;
  databaseMb: number;
  rows: number;
  pipelineStages: { name: string; durationMs: number }[];
  /**
   * The refresh as it happened, in ms from the snapshot request: RDS's snapshot events, then every audit
   * entry of the operation (stage, action, outcome).
   */
  timeline: { atMs: number; what: string }[];
  /** configure's wait for the new master password (its audit entry master-login-verified). */
  masterLogin: { attempts: unknown; waitedMs: unknown } | undefined;
  /** Each step's mean over the floor runs. */
  floorSteps: { name: string; ms: number }[];
  /** The floor runs: just before the pipeline's snapshot and after the refresh (`--quick`: after only). */
  floorRuns: { when: FloorRun; ms: number; steps: { name: string; ms: number }[] }[];
  loadAverage: number[];
}

export async function benchOverhead(
  megabytes: number,
  write: (line: string) => void,
  /** `--quick` runs the floor once, after the refresh (its run stays well under a minute); a full run twice. */
  floorRunsWanted: readonly FloorRun[] = ["before", "after"],
): Promise<OverheadResult> {
  const dir = await mkdtemp(join(tmpdir(), "aurora-bench-overhead-"));
  const log: string[] = [];
  let runtime: LocalRuntime;
  try {
    // Run as root, the local RDS starts PostgreSQL as user postgres, which must pass through the folder.
    await chmod(dir, 0o711);
    runtime = await startLocalRuntime({
      stateDir: join(dir, "state"),
      rdsTimings: { create: 0, copy: 0, rename: 0, passwordChange: 0, delete: 0, snapshot: 0 },
      log: { write: (line) => log.push(line) },
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const tap = new BridgeTap();
  tap.install(runtime.bridge);
  try {
    const rows = Math.max(100, Math.round((megabytes - EMPTY_DATABASE_MB) * ROWS_PER_MB));
    write(`\nPipeline vs floor: a ~${megabytes} MB refresh on real PostgreSQL (${rows} customers)`);
    let snapshotAt = 0;
    let snapshotWallMs = 0;
    const floorRuns: OverheadResult["floorRuns"] = [];
    const runFloor = async (when: FloorRun) => {
      write(`  floor ${when} the pipeline: the same primitives back to back`);
      const target = (await runtime.plans.get(demoNames.planId)).targets[0]!;
      const steps = await floor(runtime, tap, target, `bench-floor-${when}`, write);
      floorRuns.push({ when, ms: steps.reduce((sum, s) => sum + s.ms, 0), steps });
    };
    const takeSnapshot = runtime.rds.createAutomatedSnapshot;
    runtime.rds.createAutomatedSnapshot = async (location, cluster) => {
      // Not part of the refresh: the demo loaded production a moment ago (see settleProduction).
      await settleProduction(runtime);
      if (floorRunsWanted.includes("before")) {
        await runFloor("before");
        tap.dropAllRdsEvents = true;
        try {
          await removeFloor(runtime, "bench-floor-before");
        } finally {
          tap.dropAllRdsEvents = false;
        }
        await settleProduction(runtime);
      }
      snapshotAt = performance.now();
      snapshotWallMs = Date.now();
      return takeSnapshot(location, cluster);
    };
    const demo = await runDemoOn(runtime, {
      rows,
      planFile: join(dir, "plan.json"),
      progress: { write: (line) => write(`  | ${line.trimEnd()}`) },
    });
    const returnedAt = performance.now();
    if (demo.status !== "succeeded") {
      throw new Error(`the pipeline's refresh ${demo.status}: ${demo.error?.code} ${demo.error?.message}`);
    }
    const completed = tap.ended.get(demo.operationId);
    if (!completed || snapshotAt === 0) throw new Error("the refresh's start or end was not seen");
    const pipelineMs = completed.at - snapshotAt;
    const databaseMb = await databaseSize(runtime);
    const trail = await runtime.audit.listByOperation(demo.operationId);
    const timeline = [
      ...tap.rdsLog
        .filter((e) => e.at >= snapshotAt && e.resource.includes(demoNames.sourceCluster))
        .map((e) => ({ atMs: Math.round(e.at - snapshotAt), what: `rds ${e.eventId} ${e.resource}` })),
      // The pipeline's own events as they were put on the bus (only this refresh runs meanwhile).
      ...[...tap.putAt.values()]
        .filter((e) => !e.rds && e.at >= snapshotAt && e.at <= completed.at)
        .map((e) => ({ atMs: Math.round(e.at - snapshotAt), what: `event ${e.detailType}` })),
      ...trail.map((e) => ({
        atMs: Date.parse(e.at) - snapshotWallMs,
        what: `${e.stage} ${e.action} ${e.outcome}`,
      })),
    ].sort((a, b) => a.atMs - b.atMs);
    const login = trail.find((e) => e.action === "master-login-verified")?.details;

    if (floorRunsWanted.includes("after")) await runFloor("after");
    const floorMs = mean(floorRuns.map((r) => r.ms));
    const floorSteps = floorRuns[0]!.steps.map((step, i) => ({
      name: step.name,
      ms: mean(floorRuns.map((r) => r.steps[i]?.ms ?? 0)),
    }));
    const result: OverheadResult = {
      pipelineMs: Math.round(pipelineMs),
      floorMs: Math.round(floorMs),
      overheadRatio: round(pipelineMs / floorMs, 2) ?? 0,
      pipelineToIdleMs: Math.round(returnedAt - snapshotAt),
      databaseMb: round(databaseMb) ?? 0,
      rows,
      pipelineStages: demo.stages.map((s) => ({ name: s.name, durationMs: s.durationMs })),
      timeline,
      masterLogin: login ? { attempts: login.attempts, waitedMs: login.waitedMs } : undefined,
      floorSteps: floorSteps.map((s) => ({ name: s.name, ms: Math.round(s.ms) })),
      floorRuns: floorRuns.map((r) => ({
        when: r.when,
        ms: Math.round(r.ms),
        steps: r.steps.map((s) => ({ name: s.name, ms: Math.round(s.ms) })),
      })),
      loadAverage: loadavg().map((l) => round(l, 2) ?? 0),
    };
    write(
      table([
        ["figure", "value"],
        ["database size (pg_database_size)", `${result.databaseMb} MB`],
        ["pipelineMs (snapshot -> RestoreCompleted)", `${result.pipelineMs} ms`],
        ["  ... to idle (notify, cleanup)", `${result.pipelineToIdleMs} ms`],
        ["floorMs (same primitives back to back)", `${result.floorMs} ms`],
        ...result.floorRuns.map((r) => [`  ... run ${r.when} the pipeline`, `${r.ms} ms`]),
        ["overheadRatio", `${result.overheadRatio}`],
        ["load average", result.loadAverage.join(" ")],
      ]),
    );
    write(
      `  pipeline stages: ${result.pipelineStages.map((s) => `${s.name} ${(s.durationMs / 1000).toFixed(2)} s`).join(", ")}`,
    );
    const firstOf = new Map<string, number>();
    for (const t of timeline) {
      const words = t.what.split(" ");
      const key = (words[0] === "rds" ? words.slice(0, 2) : words.slice(0, 1)).join(" ");
      if (!firstOf.has(key)) firstOf.set(key, t.atMs);
    }
    write(
      `  pipeline timeline (first entry of each, s after the snapshot request): ${[...firstOf]
        .map(([what, at]) => `${what} ${(at / 1000).toFixed(2)}`)
        .join(", ")}; master login after ${String(result.masterLogin?.attempts)} attempt(s), ` +
        `${String(result.masterLogin?.waitedMs)} ms waited`,
    );
    write(
      `  floor steps (mean of ${result.floorRuns.length === 1 ? "the one run" : `the ${result.floorRuns.length} runs`}): ${result.floorSteps.map((s) => `${s.name} ${(s.ms / 1000).toFixed(2)} s`).join(", ")}`,
    );
    return result;
  } finally {
    await runtime.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Puts production in the state the floor later finds it in, before the clock starts: the demo's bulk load is
 * vacuumed (hint bits, visibility map; autovacuum does it within a minute anyway, i.e. while the pipeline runs,
 * before the floor) and checkpointed. Without it the pipeline's snapshot forced the checkpoint of the whole
 * load (pg_backup_start) and its masking UPDATE set the hint bits, 2-4 s that only the pipeline paid.
 */
async function settleProduction(runtime: LocalRuntime): Promise<void> {
  const session = await productionSession(runtime);
  try {
    await session.query("VACUUM (ANALYZE)");
    await session.query("CHECKPOINT");
  } finally {
    await session.close();
  }
}

async function productionSession(runtime: LocalRuntime): Promise<DbSession> {
  const credentials = await readCredentials(runtime);
  const cluster = await runtime.rds.port(demoProduction).describeCluster(demoNames.sourceCluster);
  return runtime.database.connect({
    host: cluster.endpoint!,
    port: cluster.port!,
    database: demoDatabase,
    user: credentials!.username,
    password: credentials!.password,
  });
}

async function databaseSize(runtime: LocalRuntime): Promise<number> {
  const session = await productionSession(runtime);
  try {
    const { rows } = await session.query<{ bytes: string }>(
      "SELECT pg_database_size(current_database()) AS bytes",
    );
    return Number(rows[0]?.bytes ?? 0) / 2 ** 20;
  } finally {
    await session.close();
  }
}

async function floor(
  runtime: LocalRuntime,
  tap: BridgeTap,
  target: PlanTarget,
  name: string,
  write: (line: string) => void,
): Promise<{ name: string; ms: number }[]> {
  // Nothing in the pipeline must react to the floor's resources (the demo plan refreshes on manual
  // snapshots too): RDS's events are not delivered meanwhile.
  tap.dropAllRdsEvents = true;
  const steps: { name: string; ms: number }[] = [];
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    await runtime.rds.idle();
    const ms = performance.now() - started;
    steps.push({ name, ms });
    write(`  | ${name.padEnd(34)} ${(ms / 1000).toFixed(2)} s`);
    return result;
  };
  const source = runtime.rds.port(demoProduction);
  const hopPlace = { accountId: demoStaging.accountId, region: demoProduction.region };
  const hop = runtime.rds.port(hopPlace);
  const staging = runtime.rds.port(demoStaging);
  const arn = (place: { accountId: string; region: string }, id: string) =>
    `arn:aws:rds:${place.region}:${place.accountId}:cluster-snapshot:${id}`;
  const next = `${name}-next`;
  try {
    await step("snapshot", () =>
      source.createClusterSnapshot({
        clusterIdentifier: demoNames.sourceCluster,
        snapshotIdentifier: name,
      }),
    );
    await step("copy to shareable (re-encrypt)", () =>
      source.copyClusterSnapshot({
        source: name,
        targetIdentifier: `${name}-share`,
        kmsKeyId: aliasArn(demoProduction, demoNames.shareableKeyAlias),
      }),
    );
    await step("share", () =>
      source.shareClusterSnapshot({
        snapshotIdentifier: `${name}-share`,
        accountIds: [demoStaging.accountId],
      }),
    );
    await step("copy hop 1 (target account)", () =>
      hop.copyClusterSnapshot({
        source: arn(demoProduction, `${name}-share`),
        targetIdentifier: `${name}-hop`,
        kmsKeyId: INTERMEDIATE_KMS_KEY,
      }),
    );
    await step("copy hop 2 (target region, key)", () =>
      staging.copyClusterSnapshot({
        source: arn(hopPlace, `${name}-hop`),
        targetIdentifier: `${name}-copy`,
        kmsKeyId: target.kmsKeyId,
        sourceRegion: demoProduction.region,
      }),
    );
    await step("restore", () =>
      staging.restoreClusterFromSnapshot({
        clusterIdentifier: next,
        snapshotIdentifier: `${name}-copy`,
        engine: target.engine,
        kmsKeyId: target.kmsKeyId,
      }),
    );
    await step("instance", () =>
      staging.createInstance({
        instanceIdentifier: `${next}-1`,
        clusterIdentifier: next,
        instanceClass: target.instances.instanceClass,
        engine: target.engine,
      }),
    );
    const cluster = await staging.describeCluster(next);
    const endpoint = { host: cluster.endpoint!, port: cluster.port!, database: target.database };
    const password = generatePassword();
    const master = await step("new master password + login", async () => {
      await staging.modifyCluster({ clusterIdentifier: next, masterUserPassword: password });
      await runtime.rds.idle();
      return loginWhenAccepted(runtime, { ...endpoint, user: cluster.masterUsername, password });
    });
    const passwords = new Map(target.applicationUsers.map((u) => [u.username, generatePassword()]));
    try {
      await step("users, grants, post-restore SQL", async () => {
        for (const user of target.applicationUsers) {
          const role = master.escapeIdentifier(user.username);
          await master.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", [user.username]);
          const verifier = master.escapeLiteral(scramVerifier(passwords.get(user.username)!));
          await master.query(`CREATE ROLE ${role} WITH LOGIN PASSWORD ${verifier}`);
          await master.query(
            `GRANT CONNECT ON DATABASE ${master.escapeIdentifier(target.database)} TO ${role}`,
          );
          for (const grant of user.grants) {
            const schema = master.escapeIdentifier(grant.schema);
            await master.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
            const on = grant.tables
              ? `TABLE ${grant.tables.map((t) => `${schema}.${master.escapeIdentifier(t)}`).join(", ")}`
              : `ALL TABLES IN SCHEMA ${schema}`;
            await master.query(`GRANT ${grant.privileges.join(", ")} ON ${on} TO ${role}`);
          }
        }
        for (const script of target.postRestoreSql) await master.query(script.sql);
      });
    } finally {
      await master.close();
    }
    await step("checks (as an application user)", async () => {
      const user = target.applicationUsers.at(-1)!;
      const session = await runtime.database.connect({
        ...endpoint,
        user: user.username,
        password: passwords.get(user.username)!,
      });
      try {
        for (const check of target.checks) {
          const outcome = await runCheck(session, check);
          if (!outcome.passed) throw new Error(`floor check ${check.name} failed: ${outcome.detail}`);
        }
      } finally {
        await session.close();
      }
    });
    await step("rename into place", async () => {
      const members = (await staging.describeCluster(next)).members.map((m) => m.instanceIdentifier);
      await renameCluster(staging, { from: next, to: name, instances: numberedRenames(members, next, name) });
    });
    const renamed = await staging.describeCluster(name);
    if (renamed.status !== "available") throw new Error(`the floor's cluster is ${renamed.status}`);
    return steps;
  } finally {
    tap.dropAllRdsEvents = false;
  }
}

/**
 * Deletes what a floor run made (untimed), so that the pipeline runs beside no more clusters than the floor
 * after it does: the restored cluster, its instance and the four snapshots.
 */
async function removeFloor(runtime: LocalRuntime, name: string): Promise<void> {
  const hopPlace = { accountId: demoStaging.accountId, region: demoProduction.region };
  await deleteClusterWithInstances(runtime.rds.port(demoStaging), name);
  await runtime.rds.idle();
  const source = runtime.rds.port(demoProduction);
  await source.deleteClusterSnapshot(name);
  await source.deleteClusterSnapshot(`${name}-share`);
  await runtime.rds.port(hopPlace).deleteClusterSnapshot(`${name}-hop`);
  await runtime.rds.port(demoStaging).deleteClusterSnapshot(`${name}-copy`);
  await runtime.rds.idle();
}

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);

/** Logs in as soon as the new password is accepted (retried every 20 ms, no fixed wait). */
async function loginWhenAccepted(
  runtime: LocalRuntime,
  endpoint: { host: string; port: number; database: string; user: string; password: string },
): Promise<DbSession> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    try {
      return await runtime.database.connect(endpoint);
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
