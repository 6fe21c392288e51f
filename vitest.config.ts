import { defineConfig } from "vitest/config";

// The pinned AWS SDK warns on Node 20 about releases we do not use; the warning is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

// One vitest project per package, one for the stacks and one for the scripts; each own config sets its name and timeouts.
export default defineConfig({
  test: {
    projects: ["packages/*", "stacks", "scripts"],
  },
});
