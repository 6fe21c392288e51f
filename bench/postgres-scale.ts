import { chmod, mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { planLimits } from "@aurora-restore/core/plan/index";
import type { OperationInfo } from "@aurora-restore/core/storage/operations";
import { demoNames, demoPlan, demoProduction } from "@aurora-restore/local/demo/demo-plan";
import { ensureDemoKeys, ensureProductionCluster } from "@aurora-restore/local/demo/demo-setup";
import { listAllOperations } from "@aurora-restore/local/runtime/open-state";
import { startLocalRuntime } from "@aurora-restore/local/runtime/start-local-runtime";
import type { Failure } from "./instant";
import { round } from "./instrument";

/**
 * N refreshes at once on real PostgreSQL (the local RDS's default data path): the demo's source with a small
 * database, N targets shaped like the demo's staging-db (two application users, the masking SQL, six checks)
 * in plans of up to 50 targets, one manual snapshot starting them all. Counts what failed and why, and what
 * never ended: the goal is none of either at 100.
 */

export interface PostgresScaleResult {
  operations: number;
  wallMs: number;
  opsPerSec: number;
  succeeded: number;
  failed: number;
  lost: number;
  failures: Failure[];
  stillRunningBySteps: Record<string, number>;
  peakRssMb: number;
  loadAverage: number[];
}

/** The source's customers: small, so the figure is about many servers at once, not about data. */
const SOURCE_ROWS = 200;
/** Stop waiting once no operation has moved for this long. */
const STALL_MS = 180_000;

export async function benchPostgresScale(
  operations: number,
  write: (line: string) => void,
): Promise<PostgresScaleResult> {
  write(
    `\n${operations} refreshes at once on real PostgreSQL (${SOURCE_ROWS} customers, demo-shaped targets)`,
  );
  const dir = await mkdtemp(join(tmpdir(), "aurora-bench-postgres-"));
  // Run as root, the local RDS starts PostgreSQL as user postgres, which must pass through the folder.
  await chmod(dir, 0o711);
  const log: string[] = [];
  const runtime = await startLocalRuntime({
    stateDir: join(dir, "state"),
    rdsTimings: { create: 0, copy: 0, rename: 0, passwordChange: 0, delete: 0, snapshot: 0 },
    log: { write: (line) => log.push(line) },
  });
  try {
    await ensureDemoKeys(runtime.kms);
    await ensureProductionCluster(runtime, SOURCE_ROWS, (line) => write(`  | ${line}`));
    const planIds: string[] = [];
    for (let k = 0; k * planLimits.targets < operations; k++) {
      const count = Math.min(planLimits.targets, operations - k * planLimits.targets);
      const id = `pg-scale-${String(k + 1).padStart(2, "0")}`;
      await runtime.registerPlan(scalePlan(runtime.topicArn, id, k, count));
      planIds.push(id);
    }
    const load = loadavg();
    const started = performance.now();
    await runtime.rds.port(demoProduction).createClusterSnapshot({
      clusterIdentifier: demoNames.sourceCluster,
      snapshotIdentifier: "pg-scale-1",
    });
    const mine = await waitForEnds(
      async () => (await listAllOperations(runtime.store)).filter((o) => planIds.includes(o.planId)),
      operations,
      write,
    );
    const wallMs = performance.now() - started;
    await runtime.idle();
    const ended = mine.filter((o) => o.status !== "running");
    const failed = mine.filter((o) => o.status === "failed");
    const stuck: Record<string, number> = {};
    for (const o of mine.filter((x) => x.status === "running")) stuck[o.step] = (stuck[o.step] ?? 0) + 1;
    const result: PostgresScaleResult = {
      operations,
      wallMs: Math.round(wallMs),
      opsPerSec: round((ended.length / wallMs) * 1000, 3) ?? 0,
      succeeded: mine.filter((o) => o.status === "succeeded").length,
      failed: failed.length,
      lost: operations - ended.length,
      failures: failuresOf(failed),
      stillRunningBySteps: stuck,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      loadAverage: load.map((l) => round(l, 2) ?? 0),
    };
    write(
      `  ${result.succeeded} succeeded, ${result.failed} failed, ${result.lost} lost in ${(wallMs / 1000).toFixed(1)} s ` +
        `(${result.opsPerSec} ops/s, peak RSS ${result.peakRssMb} MB, load average ${result.loadAverage.join(" ")})`,
    );
    for (const f of result.failures) write(`    failed ${f.count}x ${f.reason}: ${f.example}`);
    if (result.lost > 0) write(`    still running when it stopped moving: ${JSON.stringify(stuck)}`);
    return result;
  } finally {
    await runtime.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Plan k: `count` targets shaped like the demo's staging-db, each with its own names and secrets. */
function scalePlan(topicArn: string, id: string, k: number, count: number) {
  const demo = demoPlan(topicArn);
  const template = demo.targets[0]!;
  const targets = Array.from({ length: count }, (_, i) => {
    const name = `pg-${String(k + 1).padStart(2, "0")}-${String(i + 1).padStart(2, "0")}`;
    return {
      ...template,
      clusterIdentifier: name,
      masterSecretName: `aurora-restore/${name}/master`,
      applicationUsers: template.applicationUsers?.map((u) => ({
        ...u,
        secretName: `aurora-restore/${name}/${u.username}`,
      })),
    };
  });
  return {
    ...demo,
    id,
    description: `npm run bench -- postgres: ${count} demo-shaped targets refreshed from one manual snapshot`,
    targets,
    trigger: { type: "every-snapshot" as const, snapshotTypes: ["manual" as const] },
  };
}

/** Polls until `count` operations exist and none runs, or nothing moved for STALL_MS; says how far it got. */
async function waitForEnds(
  list: () => Promise<OperationInfo[]>,
  count: number,
  write: (line: string) => void,
): Promise<OperationInfo[]> {
  let last = "";
  let movedAt = performance.now();
  let saidAt = performance.now();
  for (;;) {
    const mine = await list();
    const ended = mine.filter((o) => o.status !== "running").length;
    if (mine.length >= count && ended === mine.length) return mine;
    const state = mine.map((o) => `${o.step}@${o.version}`).join(",");
    if (state !== last) {
      last = state;
      movedAt = performance.now();
    } else if (performance.now() - movedAt > STALL_MS) {
      return mine;
    }
    if (performance.now() - saidAt > 10_000) {
      saidAt = performance.now();
      write(`  ${ended}/${count} ended, ${mine.length} started`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

function failuresOf(failed: OperationInfo[]): Failure[] {
  const reasons = new Map<string, Failure>();
  for (const o of failed) {
    const reason = `${o.error?.stage ?? "?"}: ${o.error?.code ?? "?"}`;
    const entry = reasons.get(reason) ?? {
      reason,
      count: 0,
      example: (o.error?.message ?? "").slice(0, 240),
    };
    entry.count += 1;
    reasons.set(reason, entry);
  }
  return [...reasons.values()];
}
