import { defineProject } from "vitest/config";

// The stacks' pure modules and the deployment they describe (rules, alarms, environment, sst dev).
export default defineProject({
  test: {
    name: "stacks",
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
