import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { DatabasePort } from "@aurora-restore/core";
import { connectOnceAccepted, defaultLoginBackoff } from "@aurora-restore/core/stages/configure";
import { DEFAULT_LEASE_MS, FUNCTION_TIMEOUT_SECONDS } from "@aurora-restore/core/stages/kit";
import {
  AWS_CALLS_MARGIN_MS,
  databaseTimeouts,
  functionSettings,
} from "@aurora-restore/functions/shared/deploy/function-settings";
import { describe, expect, it } from "vitest";
import { stages } from "../src/stages";

/**
 * Issue 10, item 3: every function's timeout against the longest wait in its code path. The waits are
 * inventoried from the source (a new sleep or timeout anywhere else fails this test until it is counted).
 */

const root = join(import.meta.dirname, "..", "..", "..");
const functionTimeoutMs = FUNCTION_TIMEOUT_SECONDS * 1000;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** The longest a login with a new master password can take when every attempt is refused as slowly as possible. */
async function worstLoginWaitMs(): Promise<number> {
  let now = 0;
  const database: DatabasePort = {
    connect: async () => {
      now += databaseTimeouts.connectMs;
      throw Object.assign(new Error("password authentication failed"), { code: "28P01" });
    },
  };
  await connectOnceAccepted(
    database,
    { host: "h", port: 5432, database: "d", user: "u", password: "p" },
    {
      ...defaultLoginBackoff,
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    },
  ).catch(() => undefined);
  return now;
}

describe("function timeouts against the longest waits", () => {
  it("the stacks deploy every function with core's FUNCTION_TIMEOUT_SECONDS, which the leases outlast", () => {
    for (const service of stages)
      expect(functionSettings(service).timeoutSeconds).toBe(FUNCTION_TIMEOUT_SECONDS);
    expect(DEFAULT_LEASE_MS).toBeGreaterThan(functionTimeoutMs);
    const stacks = readFileSync(join(root, "stacks", "functions.ts"), "utf8");
    expect(stacks).toMatch(/timeout: `\$\{settings\.timeoutSeconds\} seconds`/);
    expect(stacks).not.toMatch(/timeout: "\d+ (minutes?|seconds?)"/);
  });

  it("the only waits in core and the AWS adapters are the ones counted here", () => {
    const waits = [join(root, "packages", "core", "src"), join(root, "packages", "aws", "src")]
      .flatMap(sourceFiles)
      .filter((file) =>
        /setTimeout\(|\bsleep\(|[Tt]imeoutMs\b|[Tt]imeoutMillis|requestTimeout/.test(
          readFileSync(file, "utf8"),
        ),
      )
      .map((file) => relative(root, file))
      .sort();
    expect(waits).toEqual([
      "packages/aws/src/clients.ts", // AWS_REQUEST_TIMEOUTS: inside AWS_CALLS_MARGIN_MS
      "packages/aws/src/postgres.ts", // connect, statement_timeout, session budget: databaseTimeouts
      "packages/core/src/stages/configure/password-wait.ts", // configure's login backoff
    ]);
  });

  it("configure: the login wait (its attempts included), then its SQL session's budget, fit its timeout", async () => {
    const login = await worstLoginWaitMs();
    expect(login).toBeLessThanOrEqual(defaultLoginBackoff.timeoutMs + databaseTimeouts.connectMs);
    expect(login + databaseTimeouts.sessionBudgetMs + AWS_CALLS_MARGIN_MS).toBeLessThanOrEqual(
      functionTimeoutMs,
    );
    // The budget leaves room for at least one statement at its full timeout.
    expect(databaseTimeouts.sessionBudgetMs).toBeGreaterThanOrEqual(databaseTimeouts.statementMs);
  });

  it("verify: one connection and its session's budget fit; the other functions only wait on AWS calls", () => {
    for (const service of stages) {
      const longest = service.reachesDatabase
        ? (service.name === "configure" ? defaultLoginBackoff.timeoutMs : 0) +
          databaseTimeouts.connectMs +
          databaseTimeouts.sessionBudgetMs +
          AWS_CALLS_MARGIN_MS
        : AWS_CALLS_MARGIN_MS;
      expect(longest, service.name).toBeLessThanOrEqual(functionSettings(service).timeoutSeconds * 1000);
    }
    expect(
      stages
        .filter((s) => s.reachesDatabase)
        .map((s) => s.name)
        .sort(),
    ).toEqual(["configure", "verify"]);
  });
});
