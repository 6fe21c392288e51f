import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * The reliability suite's figures: each suite file records what it put the pipeline through and what it
 * found; `summary.ts` adds them up into the one line `npm run test:reliability` ends with.
 */
export interface ReliabilityCounts {
  /** Operations run to their end. */
  operations: number;
  /** Events delivered to handlers (duplicates included). */
  events: number;
  /** Extra deliveries of an event beyond the first (chaos duplicates, replays, redrives). */
  duplicates: number;
  /** Faults injected: throttling/5xx answers, process kills, AWS errors, dropped events. */
  faults: number;
  /** Hostile or malformed inputs fed in (events, plans, CLI arguments). */
  badInputs: number;
  /** Operations that never reached an end, or inputs that vanished without a record. */
  lost: number;
  /** AWS side effects (copies, restores, passwords, users, notifications...) made more than once. */
  repeatedSideEffects: number;
  /** Secrets or key material found outside the secret store, and processes outliving their runtime. */
  leaks: number;
}

export const countKeys = [
  "operations",
  "events",
  "duplicates",
  "faults",
  "badInputs",
  "lost",
  "repeatedSideEffects",
  "leaks",
] as const satisfies readonly (keyof ReliabilityCounts)[];

/** Where the figures go (git-ignored); the summary reads every file there. */
export const resultsDir = resolve(process.env.AURORA_RESTORE_RELIABILITY_DIR ?? "test-output/reliability");

export function emptyCounts(): ReliabilityCounts {
  return Object.fromEntries(countKeys.map((k) => [k, 0])) as unknown as ReliabilityCounts;
}

/** Adds `counts` to what suite `name` recorded in this run (a suite may record from several tests). */
export function recordReliability(name: string, counts: Partial<ReliabilityCounts>): void {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${name.replace(/[^a-z0-9-]/gi, "_")}.json`);
  let previous = emptyCounts();
  try {
    previous = { ...previous, ...(JSON.parse(readFileSync(file, "utf8")) as Partial<ReliabilityCounts>) };
  } catch {
    // First record of this suite in this run.
  }
  for (const key of countKeys) previous[key] += counts[key] ?? 0;
  writeFileSync(file, `${JSON.stringify(previous)}\n`);
}

/** Every suite's figures recorded so far, by suite name. */
export function readRecords(): Record<string, ReliabilityCounts> {
  let names: string[] = [];
  try {
    names = readdirSync(resultsDir).filter((f) => f.endsWith(".json"));
  } catch {
    return {};
  }
  return Object.fromEntries(
    names.map((f) => [f.replace(/\.json$/, ""), JSON.parse(readFileSync(join(resultsDir, f), "utf8"))]),
  );
}

/** Forgets the figures of an earlier run (the summary must only add up this one). */
export function clearRecords(): void {
  rmSync(resultsDir, { recursive: true, force: true });
}
