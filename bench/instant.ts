import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { OperationCosts, WorkerRequest } from "./instant-worker";
import { type ProfileSummary, printProfile, summarizeMainThreadProfile } from "./profile";
import { type Table, table } from "./table";

/**
 * The instant-cluster figures (per-operation costs, detection latency, throughput, the CPU profile), each
 * measured by bench/instant-worker.ts in a process of its own.
 */

const workerFile = resolve(import.meta.dirname, "instant-worker.ts");

type Request = WorkerRequest extends infer R
  ? R extends WorkerRequest
    ? Omit<R, "resultFile">
    : never
  : never;

async function runWorker<T>(request: Request, options: { cpuProfDir?: string } = {}): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "aurora-bench-"));
  const resultFile = join(dir, "result.json");
  try {
    const args = [
      ...(options.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`] : []),
      "--import",
      "tsx",
      workerFile,
      JSON.stringify({ ...request, resultFile }),
    ];
    // The worker's own output goes to stderr: stdout stays the table (or the one JSON object with --json).
    const child = spawn(process.execPath, args, { stdio: ["ignore", 2, 2] });
    const code = await new Promise<number | null>((done) => child.on("exit", done));
    if (code !== 0) throw new Error(`instant-worker ${request.scenario} exited with ${code}`);
    return JSON.parse(await readFile(resultFile, "utf8")) as T;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface DetectionSample {
  mode: string;
  detailType: string;
  service: string;
  resource: string;
  via: string;
  readyToPublishMs: number;
  publishToStageMs: number;
  totalMs: number;
}

export interface SingleResult {
  perOperation: OperationCosts & {
    operationMs: number;
    cpuMsPerOp: number;
    succeeded: number;
    failed: number;
    failures: Failure[];
    loadAverage: number[];
  };
  detection: {
    withEvent: number | undefined;
    watcherOnly: number | undefined;
    snapshotCopyWithEvent: number | undefined;
    snapshotCopyWatcherOnly: number | undefined;
    watcherIntervalMs: number;
    operations: { withEvent: number; watcherOnly: number };
    droppedRdsEvents: number;
    samples: DetectionSample[];
    loadAverage: number[];
  };
  peakRssMb: number;
}

export interface Failure {
  reason: string;
  count: number;
  example: string;
}

export type ThroughputResult = OperationCosts & {
  operations: number;
  wallMs: number;
  opsPerSec: number;
  peakRssMb: number;
  rssBeforeMb: number;
  cpuMsPerOp: number;
  lost: number;
  failed: number;
  succeeded: number;
  failures: Failure[];
  stillRunningBySteps: Record<string, number>;
  loadAverage: number[];
  profileWindowUs: [number, number];
};

/** "operation 20, auditentry 41, ...": per-operation requests by entity, largest first. */
function byEntity(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([entity, n]) => `${entity} ${n}`)
    .join(", ");
}

/** Figure 2's table: per-operation requests at the ports. */
function costsTable(
  p: OperationCosts & { operationMs?: string; cpuMsPerOp: number; loadAverage: number[] },
): string {
  return table([
    ["figure", "per operation"],
    [
      "DynamoDB writes (audit + state)",
      `${p.dynamoWritesPerOp} (${p.auditWritesPerOp} + ${p.stateWritesPerOp})`,
    ],
    ["  writes by entity", byEntity(p.dynamoWritesByEntity)],
    ["DynamoDB write units", `${p.dynamoWriteUnitsPerOp}`],
    ["  write units by entity", byEntity(p.dynamoWriteUnitsByEntity)],
    ["DynamoDB reads", `${p.dynamoReadsPerOp}`],
    ["  reads by entity", byEntity(p.dynamoReadsByEntity)],
    ["RDS calls by the stages (describe/list)", `${p.rdsCallsPerOp} (${p.rdsDescribesPerOp})`],
    ["RDS calls by the watcher (describe/list)", `${p.watcherRdsCallsPerOp} (${p.watcherRdsDescribesPerOp})`],
    ["pipeline events put", `${p.eventsPerOp}`],
    ["RDS events", `${p.rdsEventsPerOp}`],
    [
      "handler invocations (+ watcher ticks, + wake-ups)",
      `${p.handlerInvocationsPerOp} (+${p.watcherScheduledRuns}, +${p.watcherWakeupRuns})`,
    ],
    ["event put -> handler start p50 / p99", `${p.eventOverheadP50Ms} / ${p.eventOverheadP99Ms} ms`],
    ...(p.operationMs ? [["snapshot -> RestoreCompleted", p.operationMs]] : []),
    ["CPU time of the process, snapshot -> idle", `${p.cpuMsPerOp} ms per operation`],
  ]);
}

/**
 * Figure 2 at scale: the per-operation requests of `operations` refreshes of distinct targets started by one
 * snapshot (a throughput run in a fresh process), so the counts include what concurrency adds.
 */
export async function benchCostsAtScale(
  operations: number,
  write: (line: string) => void,
): Promise<ThroughputResult> {
  const r = await runWorker<ThroughputResult>({ scenario: "throughput", operations, stallMs: 120_000 });
  write(
    `\n${operations} refreshes at once, instant clusters: ${r.succeeded} succeeded, ${r.failed} failed, ${r.lost} lost ` +
      `(load average ${r.loadAverage.join(" ")})`,
  );
  for (const f of r.failures) write(`    failed ${f.count}x ${f.reason}: ${f.example}`);
  write(costsTable(r));
  return r;
}

/** One refresh alone (its costs), then refreshes one at a time with RDS events delivered, then dropped. */
export async function benchSingle(quick: boolean, write: (line: string) => void): Promise<SingleResult> {
  const result = await runWorker<SingleResult>({
    scenario: "single",
    detection: quick ? { withEvents: 0, watcherOnly: 1 } : { withEvents: 2, watcherOnly: 3 },
  });
  const p = result.perOperation;
  write(`\nOne refresh alone, instant clusters (load average ${p.loadAverage.join(" ")})`);
  write(costsTable({ ...p, operationMs: `${p.operationMs} ms` }));
  const d = result.detection;
  write(
    `\nDetection latency: resource available -> next stage starts (watcher every ${d.watcherIntervalMs} ms; ` +
      `${d.operations.withEvent} + ${d.operations.watcherOnly} refreshes; load average ${d.loadAverage.join(" ")})`,
  );
  const rows: Table = [["mode", "event", "resource", "woken by", "ready->published", "->stage", "total"]];
  for (const s of d.samples) {
    rows.push([
      s.mode,
      s.detailType,
      s.resource,
      s.via,
      `${s.readyToPublishMs} ms`,
      `${s.publishToStageMs} ms`,
      `${s.totalMs} ms`,
    ]);
  }
  write(table(rows));
  write(
    `  median over ClusterCreated/ClusterAvailable/ClusterRenamed: withEvent ${d.withEvent} ms, watcherOnly ${d.watcherOnly} ms; ` +
      `snapshot copies (RDS has no event for them): ${d.snapshotCopyWithEvent} / ${d.snapshotCopyWatcherOnly} ms`,
  );
  return result;
}

/** N refreshes of distinct targets at once, each level in a fresh process. */
export async function benchThroughput(
  levels: number[],
  write: (line: string) => void,
): Promise<{ results: ThroughputResult[]; errors: { operations: number; error: string }[] }> {
  const results: ThroughputResult[] = [];
  const errors: { operations: number; error: string }[] = [];
  write("\nThroughput, instant clusters (one snapshot starts N refreshes of distinct targets)");
  for (const operations of levels) {
    write(`  ${operations} operations...`);
    let r: ThroughputResult;
    try {
      r = await runWorker<ThroughputResult>({ scenario: "throughput", operations, stallMs: 120_000 });
    } catch (error) {
      errors.push({ operations, error: error instanceof Error ? error.message : String(error) });
      write(`    FAILED: ${errors.at(-1)?.error}`);
      continue;
    }
    results.push(r);
    for (const f of r.failures) write(`    failed ${f.count}x ${f.reason}: ${f.example}`);
    if (Object.keys(r.stillRunningBySteps).length > 0) {
      write(`    still running when it stopped moving: ${JSON.stringify(r.stillRunningBySteps)}`);
    }
  }
  const rows: Table = [
    [
      "ops",
      "wall",
      "ops/s",
      "peak RSS",
      "CPU/op",
      "lost",
      "failed",
      "ddb W/op",
      "ddb WRU/op",
      "ddb R/op",
      "rds/op",
      "(describe)",
      "watcher rds/op",
      "events/op",
      "invocations/op",
      "put->start p50/p99",
      "load avg",
    ],
  ];
  for (const r of results) {
    rows.push([
      String(r.operations),
      `${(r.wallMs / 1000).toFixed(1)} s`,
      String(r.opsPerSec),
      `${r.peakRssMb} MB`,
      `${r.cpuMsPerOp} ms`,
      String(r.lost),
      String(r.failed),
      String(r.dynamoWritesPerOp),
      String(r.dynamoWriteUnitsPerOp),
      String(r.dynamoReadsPerOp),
      String(r.rdsCallsPerOp),
      String(r.rdsDescribesPerOp),
      String(r.watcherRdsCallsPerOp),
      String(r.eventsPerOp),
      String(r.handlerInvocationsPerOp),
      `${r.eventOverheadP50Ms}/${r.eventOverheadP99Ms} ms`,
      r.loadAverage.join(" "),
    ]);
  }
  write(table(rows));
  return { results, errors };
}

/** A 20-operation throughput run under `node --cpu-prof`, summarized over the measured window only. */
export async function benchProfile(
  operations: number,
  profileDir: string,
  write: (line: string) => void,
): Promise<{ run: ThroughputResult; summary: ProfileSummary }> {
  write(`\nCPU profile of ${operations} concurrent refreshes (instant clusters), snapshot to idle`);
  const run = await runWorker<ThroughputResult>(
    { scenario: "throughput", operations, stallMs: 120_000 },
    { cpuProfDir: profileDir },
  );
  const summary = await summarizeMainThreadProfile(profileDir, { top: 20, window: run.profileWindowUs });
  write(`  wall ${(run.wallMs / 1000).toFixed(1)} s, load average ${run.loadAverage.join(" ")}`);
  printProfile(summary, write);
  return { run, summary };
}
