import { describe, expect, test } from "vitest";

// Importing a handler must not need AWS or the environment: dependencies are built on the first call.
describe("stage handler modules", () => {
  test.each(["trigger", "prepare", "copy", "restore", "watcher"])(
    "%s exports handler and handle",
    async (name) => {
      const module = (await import(`../../src/${name}/handler.ts`)) as Record<string, unknown>;
      expect(typeof module.handler).toBe("function");
      expect(typeof module.handle).toBe("function");
    },
  );
});
