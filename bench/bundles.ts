import { spawn } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { stages } from "@aurora-restore/functions/stages";
import { handlerModuleFile } from "@aurora-restore/local/runtime/stage-wiring";
import { build } from "esbuild";
import { median, round } from "./instrument";
import { bytesByPackage, sstBundleOptions } from "./sst-bundle";
import { type Table, table } from "./table";

/**
 * Each handler bundled as SST v4 bundles a Node.js function for deployment (sst-bundle.ts). Import time:
 * `await import()` of the bundle in a fresh `node` process, the median of `runs`.
 */

export interface BundleResult {
  name: string;
  bytes: number;
  importMs: number | undefined;
  /** CPU time (user + system) of the import, median: less sensitive to a loaded machine than wall time. */
  importCpuMs: number | undefined;
  /** Import times of every run (ms). */
  importRunsMs: number[];
  importError?: string;
  /** The largest contributors to the bundle, by package (bytes in the output). */
  topPackages: { name: string; bytes: number }[];
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
): Promise<{ results: BundleResult[]; loadAverage: { atStart: number[]; atEnd: number[] } }> {
  const atStart = loadavg().map((l) => round(l, 2) ?? 0);
  const dir = await mkdtemp(join(tmpdir(), "aurora-bench-bundles-"));
  try {
    const timerFile = join(dir, "import-timer.mjs");
    await writeFile(timerFile, timer);
    write(
      `\nLambda bundles as SST builds them (esbuild, minified ESM), import in a fresh node (median of ${runs})`,
    );
    const results: BundleResult[] = [];
    for (const service of stages) {
      const outfile = join(dir, service.name, "handler.mjs");
      const built = await build({ ...sstBundleOptions, entryPoints: [handlerModuleFile(service)], outfile });
      const bytes = (await stat(outfile)).size;
      const output = Object.values(built.metafile.outputs)[0];
      const byPackage = output ? bytesByPackage(output) : new Map<string, number>();
      const topPackages = [...byPackage]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([name, n]) => ({ name, bytes: n }));
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
        importMs: round(median(importRunsMs)),
        importCpuMs: round(median(importCpuMs)),
        importRunsMs: importRunsMs.map((ms) => round(ms) ?? 0),
        ...(importError ? { importError } : {}),
        topPackages,
      });
    }
    const rows: Table = [["handler", "bytes", "import (median)", "CPU", "largest packages in the bundle"]];
    for (const r of results) {
      rows.push([
        r.name,
        `${(r.bytes / 1024).toFixed(0)} KB`,
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
