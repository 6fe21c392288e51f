import { mkdir, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { type BundleResult, benchBundles } from "./bundles";
import {
  benchCostsAtScale,
  benchProfile,
  benchSingle,
  benchThroughput,
  type SingleResult,
  type ThroughputResult,
} from "./instant";
import { round } from "./instrument";
import { benchOverhead, type OverheadResult } from "./overhead";
import { benchPatterns } from "./patterns";
import { benchPostgresScale, type PostgresScaleResult } from "./postgres-scale";
import { benchSnapshot } from "./snapshot";
import { benchStorage } from "./storage";

/**
 * `npm run bench [-- <section>...] [--quick] [--json]`: what users pay for, measured (bench/README.md).
 * Sections: overhead, costs, throughput, bundles (the default set), profile; and the older micro-benchmarks
 * patterns, storage, snapshot (each when named). Speed is measured here, never in tests.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const figures = ["overhead", "costs", "throughput", "postgres", "bundles"] as const;
const others = ["profile", "patterns", "storage", "snapshot"] as const;
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const json = args.includes("--json");
// --levels=200,500: only those throughput levels (each a fresh process), instead of the section's set.
const levelsFlag = args.find((a) => a.startsWith("--levels="));
const levels = levelsFlag
  ?.slice("--levels=".length)
  .split(",")
  .map((n) => Number(n));
if (levels && (levels.length === 0 || levels.some((n) => !Number.isInteger(n) || n < 1))) {
  console.error(`${levelsFlag}: give whole numbers of operations, e.g. --levels=200,500`);
  process.exit(2);
}
// --sdk=runtime: the bundles with the AWS SDK left to the Lambda runtime (bench/bundles.ts), for comparison.
const sdkFlag = args.find((a) => a.startsWith("--sdk="));
const sdk = sdkFlag?.slice("--sdk=".length) ?? "bundled";
if (sdk !== "bundled" && sdk !== "runtime") {
  console.error(`${sdkFlag}: give --sdk=bundled (what the stacks deploy) or --sdk=runtime`);
  process.exit(2);
}
const unknownFlags = args.filter(
  (a) => a.startsWith("--") && a !== "--quick" && a !== "--json" && a !== levelsFlag && a !== sdkFlag,
);
const named = args.filter((a) => !a.startsWith("--"));
const known = new Set<string>([...figures, ...others]);
const unknown = [...named.filter((n) => !known.has(n)), ...unknownFlags];
if (unknown.length > 0) {
  console.error(
    `unknown: ${unknown.join(", ")}. Usage: npm run bench [-- ${[...figures, ...others].join("|")} ...] [--quick] [--json] [--levels=200,500] [--sdk=runtime]`,
  );
  process.exit(2);
}
/** Figure 2's operations in a full run (the issue asks for at least 200). */
const costsOperations = 200;
// --quick's default set leaves out the real-PostgreSQL scale run (minutes even small); name it to run it.
const defaults = quick ? figures.filter((f) => f !== "postgres") : figures;
const selected = new Set<string>(named.length > 0 ? named : defaults);
// With --json, stdout carries the one JSON object only; tables and progress go to stderr.
const write = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);
if (json) console.log = console.error;

const resultsDir = resolve(import.meta.dirname, "results");
const started = performance.now();
const machine = {
  nproc: availableParallelism(),
  cpu: cpus()[0]?.model ?? "unknown",
  memoryGb: round(totalmem() / 2 ** 30, 1),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  loadAverageAtStart: loadavg().map((l) => round(l, 2)),
};
write(
  `npm run bench${quick ? " --quick" : ""}: ${[...selected].join(", ")} on ${machine.nproc} CPUs (${machine.cpu}), ` +
    `${machine.memoryGb} GB, node ${machine.node}, load average ${machine.loadAverageAtStart.join(" ")}`,
);

const out: Record<string, unknown> = { mode: quick ? "quick" : "full", startedAt: new Date().toISOString() };
const errors: Record<string, string> = {};
/** Runs one section; a failure is reported (and makes the exit code 1) without losing the others' figures. */
async function section(name: string, work: () => Promise<void>): Promise<void> {
  if (!selected.has(name)) return;
  try {
    await work();
  } catch (error) {
    errors[name] = error instanceof Error ? error.message : String(error);
    write(`\n${name} FAILED: ${errors[name]}`);
  }
}

await section("overhead", async () => {
  const megabytes = Number(process.env.BENCH_PIPELINE_MB ?? (quick ? 10 : 100));
  const { pipelineMs, floorMs, overheadRatio, ...overhead }: OverheadResult = await benchOverhead(
    megabytes,
    write,
    quick ? ["after"] : ["before", "after"],
  );
  Object.assign(out, { pipelineMs, floorMs, overheadRatio, overhead });
});
await section("costs", async () => {
  const { perOperation: alone, detection, peakRssMb }: SingleResult = await benchSingle(quick, write);
  const { withEvent, watcherOnly, ...detectionDetails } = detection;
  // Full: the top-level figures come from 200 refreshes at once (concurrency adds what one alone does not);
  // --quick keeps the one refresh alone.
  const atScale = quick ? undefined : await benchCostsAtScale(costsOperations, write);
  const { profileWindowUs: _window, ...scale } = atScale ?? { profileWindowUs: undefined };
  const p = atScale ?? alone;
  Object.assign(out, {
    costsOperations: atScale ? costsOperations : 1,
    dynamoWritesPerOp: p.dynamoWritesPerOp,
    dynamoWriteUnitsPerOp: p.dynamoWriteUnitsPerOp,
    dynamoReadsPerOp: p.dynamoReadsPerOp,
    rdsCallsPerOp: p.rdsCallsPerOp,
    rdsDescribesPerOp: p.rdsDescribesPerOp,
    watcherRdsCallsPerOp: p.watcherRdsCallsPerOp,
    eventsPerOp: p.eventsPerOp,
    handlerInvocationsPerOp: p.handlerInvocationsPerOp,
    eventOverheadP50Ms: p.eventOverheadP50Ms,
    eventOverheadP99Ms: p.eventOverheadP99Ms,
    perOperation: atScale ? scale : { ...alone, peakRssMb },
    perOperationAlone: { ...alone, peakRssMb },
    detectionLatencyMs: { withEvent, watcherOnly, ...detectionDetails },
  });
});
await section("throughput", async () => {
  const { results, errors: failed } = await benchThroughput(
    // --quick: a smaller level, so the whole quick run stays well under a minute (bench/README.md).
    levels ?? (quick ? [10] : [50, 100, 200, 500]),
    write,
  );
  out.throughput = results.map(
    ({ profileWindowUs: _, ...r }): Omit<ThroughputResult, "profileWindowUs"> => r,
  );
  if (failed.length > 0) {
    out.throughputErrors = failed;
    process.exitCode = 1;
  }
});
await section("postgres", async () => {
  const { failures, stillRunningBySteps, ...result }: PostgresScaleResult = await benchPostgresScale(
    quick ? 3 : 100,
    write,
  );
  out.postgresScale = { ...result, failures, stillRunningBySteps };
  if (result.failed > 0 || result.lost > 0) process.exitCode = 1;
});
await section("bundles", async () => {
  // --quick: one import each (the sizes are exact; the import time is one sample, the full run's is a median of 10).
  const { results, loadAverage } = await benchBundles(quick ? 1 : 10, write, sdk);
  out.bundles = results satisfies BundleResult[];
  out.bundlesSdk = sdk;
  out.bundlesLoadAverage = loadAverage;
});
await section("profile", async () => {
  const dir = join(resultsDir, "profile");
  await rm(dir, { recursive: true, force: true });
  const { run, summary } = await benchProfile(20, dir, write);
  out.profile = { operations: run.operations, wallMs: run.wallMs, loadAverage: run.loadAverage, ...summary };
});
if (selected.has("patterns")) await benchPatterns();
if (selected.has("storage")) await benchStorage();
if (selected.has("snapshot")) benchSnapshot();

if (Object.keys(errors).length > 0) {
  out.errors = errors;
  process.exitCode = 1;
}
out.machine = { ...machine, loadAverageAtEnd: loadavg().map((l) => round(l, 2)) };
const durationMs = Math.round(performance.now() - started);
out.durationMs = durationMs;
const hasFigures = [...selected].some((s) => (figures as readonly string[]).includes(s) || s === "profile");
if (hasFigures) {
  await mkdir(resultsDir, { recursive: true });
  const text = `${JSON.stringify(out, null, 2)}\n`;
  await writeFile(join(resultsDir, "latest.json"), text);
  // The default set's last results stay under its mode's name, whatever runs after it.
  const everyFigure = defaults.every((f) => selected.has(f));
  if (everyFigure) await writeFile(join(resultsDir, `${quick ? "quick" : "full"}.json`), text);
  write(
    `\n${(durationMs / 1000).toFixed(0)} s in all; results in bench/results/latest.json` +
      (everyFigure ? ` and ${quick ? "quick" : "full"}.json` : ""),
  );
  if (json) process.stdout.write(`${JSON.stringify(out)}\n`);
}
