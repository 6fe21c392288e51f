import { countKeys, emptyCounts, readRecords } from "./record";

/**
 * Adds up what each reliability suite recorded and prints the one summary line. Exits 1 when a suite
 * expected to run recorded nothing, or anything was lost, repeated or leaked.
 */
const expected = (process.argv[2] ?? "").split(",").filter(Boolean);
const records = readRecords();
const total = emptyCounts();
for (const counts of Object.values(records)) for (const key of countKeys) total[key] += counts[key] ?? 0;

for (const [suite, counts] of Object.entries(records).sort()) {
  console.log(`  ${suite.padEnd(22)} ${countKeys.map((k) => `${k}=${counts[k]}`).join(" ")}`);
}
const missing = expected.filter((suite) => !(suite in records));
console.log(`reliability: ${countKeys.map((k) => `${k}=${total[k]}`).join(" ")}`);
if (missing.length > 0) {
  console.error(`reliability: no figures from ${missing.join(", ")}: those suites did not run`);
  process.exit(1);
}
if (total.lost > 0 || total.repeatedSideEffects > 0 || total.leaks > 0) process.exit(1);
