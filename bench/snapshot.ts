import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

/**
 * Snapshot, copy and restore of a ~100 MB cluster on the local RDS (real PostgreSQL): the steps whose
 * time dominates a refresh. Runs the local RDS's own measuring script so the figures come from one place.
 */
export function benchSnapshot(megabytes = Number(process.env.BENCH_SNAPSHOT_MB ?? "100")): void {
  console.log(`\nLocal RDS snapshot and restore (~${megabytes} MB, simulated durations 0)`);
  const script = resolve(import.meta.dirname, "../packages/local/src/rds/measure.ts");
  const result = spawnSync(process.execPath, ["--import", "tsx", script, String(megabytes)], {
    stdio: "inherit",
  });
  if (result.status !== 0) throw new Error(`measuring snapshot and restore failed (exit ${result.status})`);
}
