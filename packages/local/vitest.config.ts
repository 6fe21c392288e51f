import { defineProject } from "vitest/config";

/**
 * Reliability suites that are written but not yet verified end to end in one run of the whole suite: they run
 * only with AURORA_RESTORE_RELIABILITY_ALL=1 until they are (see docs/reliability.md).
 */
const unverified = [
  "test/reliability/aws-faults.test.ts",
  "test/reliability/contention.test.ts",
  "test/reliability/leaks.test.ts",
  "test/reliability/audit-replay.test.ts",
];

export default defineProject({
  test: {
    name: "local",
    include: ["test/**/*.test.ts"],
    exclude: [
      "**/node_modules/**",
      ...(process.env.AURORA_RESTORE_RELIABILITY_ALL === "1" ? [] : unverified),
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
