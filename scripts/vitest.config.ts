import { defineProject } from "vitest/config";

// The repository's scripts (`npm run catalog`) and what they generate.
export default defineProject({
  test: {
    name: "scripts",
    include: ["test/**/*.test.ts"],
  },
});
