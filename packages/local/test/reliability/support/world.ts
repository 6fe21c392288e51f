import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { PlanInput } from "@aurora-restore/core/plan/index";
import { type AccountRegion, type DbCluster, isAwsCallError } from "@aurora-restore/core/ports/index";
import type { OperationInfo } from "@aurora-restore/core/storage/operations";
import { aliasArn, demoNames } from "../../../src/demo/demo-plan";
import { ensureDemoKeys } from "../../../src/demo/demo-setup";
import { seedSampleData } from "../../../src/demo/sample-data";
import { listAllOperations } from "../../../src/runtime/open-state";
import type { PortCall } from "../../../src/runtime/port-counters";
import {
  type LocalRuntime,
  type LocalRuntimeOptions,
  startLocalRuntime,
} from "../../../src/runtime/start-local-runtime";

/**
 * The reliability suites' world: the real handlers on the local bus with instant clusters (no PostgreSQL
 * data path), a seeded "production" source, and plans of identical targets, so a run of N refreshes can be
 * compared call for call with N times one undisturbed refresh.
 */

export const production: AccountRegion = { accountId: "111111111111", region: "us-east-1" };
export const staging: AccountRegion = { accountId: "222222222222", region: "eu-west-1" };
export const zeroTimings = { create: 0, copy: 0, rename: 0, passwordChange: 0, delete: 0, snapshot: 0 };
export const source = "production-db";
export const sourceMaster = { username: "prod_admin", password: "Prod-master-Passw0rd" };
export const database = "shop";
export const users = ["app_writer", "app_reader"] as const;

// The side-effect calls moved to the runtime (a replay reports them too); the suites import them from here.
export { isSideEffect, sideEffects, sideEffectTotals } from "../../../src/runtime/side-effects";

/**
 * How many side effects `actual` made beyond `times` x `perRefresh` (0 when each happened once per refresh).
 * `exactly` overrides the expectation for side effects that are not per refresh (see sharedCopyEffects).
 */
export function repeatedSideEffects(
  actual: Record<string, number>,
  perRefresh: Record<string, number>,
  times: number,
  exactly: Record<string, number> = {},
): { repeated: number; differences: Record<string, { expected: number; actual: number }> } {
  const differences: Record<string, { expected: number; actual: number }> = {};
  let repeated = 0;
  for (const key of new Set([...Object.keys(actual), ...Object.keys(perRefresh)])) {
    const expected = exactly[key] ?? (perRefresh[key] ?? 0) * times;
    const got = actual[key] ?? 0;
    if (got !== expected) differences[key] = { expected, actual: got };
    repeated += Math.max(0, got - expected);
  }
  return { repeated, differences };
}

/**
 * Intermediate copies are shared by the operations of one snapshot (one shareable copy, one -hop and one
 * target copy for all): each copy the operations name must be made once and deleted once, whatever the
 * number of refreshes. Returns those expectations, and the copies that were not made or deleted exactly once.
 */
export function sharedCopyEffects(
  operations: readonly OperationInfo[],
  calls: readonly PortCall[],
): { exactly: Record<string, number>; notOnce: string[] } {
  const outputs = ["shareableSnapshotArn", "hopSnapshotArn", "targetSnapshotArn"];
  const copies = new Set(
    operations.flatMap((o) =>
      outputs.flatMap((key) => {
        const arn = o.outputs[key];
        return typeof arn === "string" ? [arn.slice(arn.lastIndexOf(":") + 1)] : [];
      }),
    ),
  );
  const count = (call: string, subject: string) =>
    calls.filter((c) => c.ok && c.port === "rds" && c.call === call && c.subject === subject).length;
  const notOnce = [...copies].flatMap((copy) =>
    (["copyClusterSnapshot", "deleteClusterSnapshot"] as const)
      .filter((call) => count(call, copy) !== 1)
      .map((call) => `${call} ${copy}: ${count(call, copy)}x`),
  );
  return {
    exactly: { "rds.copyClusterSnapshot": copies.size, "rds.deleteClusterSnapshot": copies.size },
    notOnce,
  };
}

export function targetPlan(
  id: string,
  clusterIdentifiers: string[],
  topicArn: string,
  snapshotTypes: ("automated" | "manual")[] = ["manual"],
): PlanInput {
  return {
    id,
    source: {
      ...production,
      clusterIdentifier: source,
      roleArn: demoNames.sourceRoleArn,
      shareableKmsKeyId: aliasArn(production, demoNames.shareableKeyAlias),
    },
    targets: clusterIdentifiers.map((clusterIdentifier) => ({
      ...staging,
      clusterIdentifier,
      kmsKeyId: aliasArn(staging, demoNames.targetKeyAlias),
      instances: { instanceClass: "db.r6g.large", count: 1 },
      database,
      masterSecretName: `aurora-restore/${clusterIdentifier}/master`,
      applicationUsers: users.map((username) => ({
        username,
        secretName: `aurora-restore/${clusterIdentifier}/${username}`,
        grants: [{ privileges: ["SELECT"], schema: "public", tables: ["customers", "orders"] }],
      })),
      postRestoreSql: [
        {
          name: "mask-customers",
          sql: "UPDATE public.customers SET email = 'customer-' || id || '@example.invalid'",
        },
      ],
      checks: [
        { type: "table-exists", name: "customers table exists", table: "customers" },
        { type: "row-count", name: "orders copied", table: "public.orders", min: 1 },
      ],
    })),
    trigger: { type: "every-snapshot", snapshotTypes },
    compliance: "pci",
    notificationTopicArn: topicArn,
  } as PlanInput;
}

export interface ReliabilityWorld {
  dir: string;
  stateDir: string;
  runtime: LocalRuntime;
  log: string[];
  /**
   * Registers a plan of `count` identical targets named `<prefix>-NN` and returns their names. Plans react
   * to manual snapshots unless told otherwise (a baseline plan on automated ones keeps out of the way).
   */
  plan(
    id: string,
    prefix: string,
    count: number,
    snapshotTypes?: ("automated" | "manual")[],
  ): Promise<string[]>;
  /** Takes a manual snapshot of the source: its RDS event starts one operation per planned target. */
  snapshot(name: string): Promise<void>;
  /** Takes an automated snapshot of the source (one a minute, as in AWS). */
  automatedSnapshot(): Promise<void>;
  /** Waits until `count` operations of the plan exist and have ended; fails with where they stand. */
  ended(planId: string, count: number, timeoutMs: number): Promise<OperationInfo[]>;
  /** The target's problems: a secret with AWSPENDING left, an AWSCURRENT that does not log in. */
  credentialProblems(target: string): Promise<string[]>;
  /** Snapshots of the source cluster that exist anywhere but in production (intermediate copies left). */
  leftoverSnapshots(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startReliabilityWorld(
  options: Partial<LocalRuntimeOptions> = {},
): Promise<ReliabilityWorld> {
  const dir = await mkdtemp(join(tmpdir(), "aurora-reliability-"));
  const world = await openReliabilityWorld(join(dir, "state"), options);
  return {
    ...world,
    dir,
    async stop() {
      await world.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The same world on a given state folder, new or left by an earlier process (a crash test's next start on
 * the folder): the keys are ensured, and the source is created and seeded only when the folder lacks it.
 * `dir` is the folder's parent; stop() stops the runtime and leaves the folder.
 */
export async function openReliabilityWorld(
  stateDir: string,
  options: Partial<LocalRuntimeOptions> = {},
): Promise<ReliabilityWorld> {
  const log: string[] = [];
  const runtime = await startLocalRuntime({
    stateDir,
    clusters: "instant",
    rdsTimings: zeroTimings,
    watcherIntervalMs: 200,
    log: { write: (line: string) => log.push(line) },
    ...options,
  });
  try {
    await ensureSource(runtime);
  } catch (error) {
    await runtime.stop();
    throw error;
  }

  const login = async (cluster: DbCluster, user: string, password: string) => {
    try {
      const session = await runtime.database.connect({
        host: cluster.endpoint!,
        port: cluster.port!,
        database,
        user,
        password,
      });
      await session.close();
      return "ok";
    } catch (error) {
      return String((error as { code?: unknown }).code ?? error);
    }
  };

  return {
    dir: dirname(stateDir),
    stateDir,
    runtime,
    log,
    async plan(id, prefix, count, snapshotTypes = ["manual"]) {
      const names = Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(2, "0")}`);
      await runtime.registerPlan(targetPlan(id, names, runtime.topicArn, snapshotTypes));
      return names;
    },
    async automatedSnapshot() {
      await runtime.rds.createAutomatedSnapshot(production, source);
    },
    async snapshot(name) {
      await runtime.rds
        .port(production)
        .createClusterSnapshot({ clusterIdentifier: source, snapshotIdentifier: name });
    },
    async ended(planId, count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mine = (await listAllOperations(runtime.store)).filter((o) => o.planId === planId);
        if (mine.length >= count && mine.every((o) => o.status !== "running")) return mine;
        if (Date.now() > deadline) {
          const where = mine.map((o) => `${o.target.clusterIdentifier}:${o.step}`).join(" ");
          const problems = log
            .filter((l) => /WARN|ERROR/.test(l))
            .slice(-20)
            .join("");
          throw new Error(
            `${planId}: ${mine.length}/${count} operations, not all ended: ${where}\n${problems}`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async credentialProblems(target) {
      const problems: string[] = [];
      const secrets = runtime.secrets.port(staging);
      const cluster = await runtime.rds.port(staging).describeCluster(target);
      for (const user of ["master", ...users]) {
        const name = `aurora-restore/${target}/${user}`;
        const { versions } = await secrets.describeSecret(name);
        if (Object.values(versions).some((stages) => stages.includes("AWSPENDING"))) {
          problems.push(`${name}: an AWSPENDING version is left`);
        }
        const current = JSON.parse((await secrets.getSecretValue({ secretId: name })).secretString) as {
          username: string;
          password: string;
          host: string;
          port: number;
        };
        if (current.host !== cluster.endpoint || current.port !== cluster.port) {
          problems.push(`${name}: AWSCURRENT points at ${current.host}:${current.port}`);
        }
        const outcome = await login(cluster, current.username, current.password);
        if (outcome !== "ok") problems.push(`${name}: AWSCURRENT is refused (${outcome})`);
      }
      return problems;
    },
    async leftoverSnapshots() {
      const places: AccountRegion[] = [production, staging, { ...staging, region: production.region }];
      const left: string[] = [];
      for (const place of places) {
        const found = await runtime.rds.port(place).listClusterSnapshots({ clusterIdentifier: source });
        for (const snapshot of found) {
          const original = place === production && !snapshot.identifier.startsWith("aurora-restore-");
          if (!original) left.push(`${place.accountId}/${place.region}/${snapshot.identifier}`);
        }
      }
      return left;
    },
    async stop() {
      await runtime.stop();
    },
  };
}

/** Production's keys and source cluster with its sample data: created once per state folder. */
async function ensureSource(runtime: LocalRuntime): Promise<void> {
  await ensureDemoKeys(runtime.kms);
  try {
    await runtime.rds.createCluster({
      ...production,
      clusterIdentifier: source,
      masterUsername: sourceMaster.username,
      masterPassword: sourceMaster.password,
      databaseName: database,
    });
  } catch (error) {
    if (!isAwsCallError(error, "DBClusterAlreadyExistsFault")) throw error;
    await runtime.rds.waitForCluster(production, source, 120_000);
    return;
  }
  const cluster = await runtime.rds.waitForCluster(production, source, 120_000);
  if (runtime.rds.instant) {
    await runtime.rds.instant.seed({
      ...production,
      clusterIdentifier: source,
      database,
      tables: { customers: 12, orders: 30 },
    });
    return;
  }
  // Real PostgreSQL: the demo's shop (customers, products, orders), small.
  const session = await runtime.database.connect({
    host: cluster.endpoint!,
    port: cluster.port!,
    database,
    user: sourceMaster.username,
    password: sourceMaster.password,
  });
  try {
    await seedSampleData(session, 12);
  } finally {
    await session.close();
  }
}
