import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { stages } from "@aurora-restore/functions/stages";
import { handlerModuleFile } from "@aurora-restore/local/runtime/stage-wiring";
import { build } from "esbuild";
import { median, round } from "./instrument";
import { bytesByPackage, entryOutput, outputsOf, sstBundleOptions, sstOutput } from "./sst-bundle";
import { type Table, table } from "./table";

/**
 * Each handler bundled as SST v4 bundles a Node.js function for deployment (sst-bundle.ts). Import time:
 * `await import()` of the bundle's entry in a fresh `node` process, the median of `runs`.
 *
 * `sdk: "runtime"` measures the alternative the stacks do not take: `@aws-sdk/*` and `@smithy/*` left out of
 * the bundle (esbuild `external`, SST's `nodejs.esbuild.external`), to be loaded from the Lambda runtime's
 * copy. The bundles are then written under bench/results/, so that their import resolves the SDK from this
 * repository's node_modules, as Lambda's would from the runtime's: the import time includes loading it.
 */

/** Where the SDK comes from: bundled (what the stacks deploy), or left to the runtime's copy. */
export type SdkSource = "bundled" | "runtime";

/** What esbuild leaves out of the bundle when the SDK is the runtime's. */
export const runtimeSdkExternal = ["@aws-sdk/*", "@smithy/*"] as const;

export interface BundleResult {
  name: string;
  /** Every JavaScript file of the function's package: the entry and all its chunks. */
  bytes: number;
  /** What importing the entry loads: the entry and the chunks it imports statically. */
  loadedBytes: number;
  /** Output files in the package (1 without code splitting). */
  files: number;
  importMs: number | undefined;
  /** CPU time (user + system) of the import, median: less sensitive to a loaded machine than wall time. */
  importCpuMs: number | undefined;
  /** Import times of every run (ms). */
  importRunsMs: number[];
  importError?: string;
  /** The largest contributors to what the import loads, by package (bytes in the output). */
  topPackages: { name: string; bytes: number }[];
  /** What only a dynamic import loads (when first used), by package, largest first. */
  lazyPackages: { name: string; bytes: number }[];
}

const timer = `
const { performance } = await import("node:perf_hooks");
const cpu = process.cpuUsage();
const started = performance.now();
await import(process.argv[2]);
const ms = performance.now() - started;
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ ms, cpuMs: (used.user + used.system) / 1000 }));
`;

export async function benchBundles(
  runs: number,
  write: (line: string) => void,
  sdk: SdkSource = "bundled",
): Promise<{ results: BundleResult[]; loadAverage: { atStart: number[]; atEnd: number[] } }> {
  const atStart = loadavg().map((l) => round(l, 2) ?? 0);
  const inResults = join(import.meta.dirname, "results");
  if (sdk === "runtime") await mkdir(inResults, { recursive: true });
  const dir = await mkdtemp(join(sdk === "runtime" ? inResults : tmpdir(), "aurora-bench-bundles-"));
  const external = [...sstBundleOptions.external, ...(sdk === "runtime" ? runtimeSdkExternal : [])];
  try {
    const timerFile = join(dir, "import-timer.mjs");
    await writeFile(timerFile, timer);
    write(
      `\nLambda bundles as SST builds them (esbuild, minified ESM${sdk === "runtime" ? "; the SDK left to the runtime, loaded from node_modules" : ""}), import in a fresh node (median of ${runs})`,
    );
    const results: BundleResult[] = [];
    for (const service of stages) {
      const entry = handlerModuleFile(service);
      const built = await build({
        ...sstBundleOptions,
        external,
        entryPoints: [entry],
        ...sstOutput(entry, join(dir, service.name)),
      });
      const outputs = built.metafile.outputs;
      const entryFile = entryOutput(outputs, entry);
      const all = outputsOf(outputs, entryFile, true);
      const loaded = outputsOf(outputs, entryFile, false);
      const sizeOf = (files: string[]) => files.reduce((sum, file) => sum + (outputs[file]?.bytes ?? 0), 0);
      const bytes = sizeOf(all);
      const loadedBytes = sizeOf(loaded);
      const largest = (byPackage: Map<string, number>, n: number) =>
        [...byPackage]
          .sort((a, b) => b[1] - a[1])
          .slice(0, n)
          .map(([name, size]) => ({ name, bytes: size }));
      const topPackages = largest(bytesByPackage(outputs, loaded), 6);
      const lazyPackages = largest(
        bytesByPackage(
          outputs,
          all.filter((file) => !loaded.includes(file)),
        ),
        6,
      );
      const outfile = resolve(entryFile);
      const importRunsMs: number[] = [];
      const importCpuMs: number[] = [];
      let importError: string | undefined;
      for (let i = 0; i < runs && !importError; i++) {
        const outcome = await timeImport(timerFile, outfile);
        if ("error" in outcome) importError = outcome.error;
        else {
          importRunsMs.push(outcome.ms);
          importCpuMs.push(outcome.cpuMs);
        }
      }
      results.push({
        name: service.name,
        bytes,
        loadedBytes,
        files: all.length,
        importMs: round(median(importRunsMs)),
        importCpuMs: round(median(importCpuMs)),
        importRunsMs: importRunsMs.map((ms) => round(ms) ?? 0),
        ...(importError ? { importError } : {}),
        topPackages,
        lazyPackages,
      });
    }
    const rows: Table = [
      ["handler", "bytes (files)", "loaded", "import (median)", "CPU", "largest packages the import loads"],
    ];
    for (const r of results) {
      rows.push([
        r.name,
        `${(r.bytes / 1024).toFixed(0)} KB (${r.files})`,
        `${(r.loadedBytes / 1024).toFixed(0)} KB`,
        r.importError ? `error: ${r.importError}` : `${r.importMs} ms`,
        r.importError ? "" : `${r.importCpuMs} ms`,
        r.topPackages
          .slice(0, 4)
          .map((p) => `${p.name} ${(p.bytes / 1024).toFixed(0)} KB`)
          .join(", "),
      ]);
    }
    write(table(rows));
    const atEnd = loadavg().map((l) => round(l, 2) ?? 0);
    write(`  load average ${atStart.join(" ")} at the start, ${atEnd.join(" ")} at the end`);
    return { results, loadAverage: { atStart, atEnd } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One `node import-timer.mjs <bundle>` in a clean environment (no tsx, no NODE_OPTIONS). */
async function timeImport(
  timerFile: string,
  bundle: string,
): Promise<{ ms: number; cpuMs: number } | { error: string }> {
  const child = spawn(process.execPath, [timerFile, pathToFileURL(bundle).href], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env.PATH ?? "", AWS_REGION: "eu-west-1", NODE_ENV: "production" },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const code = await new Promise<number | null>((done) => child.on("exit", done));
  if (code !== 0) return { error: err.trim().split("\n").slice(-1)[0] ?? `exit ${code}` };
  return JSON.parse(out) as { ms: number; cpuMs: number };
}
