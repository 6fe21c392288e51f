import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordReliability } from "../../../../test/reliability/record";
import { demoNames, demoStaging } from "../../src/demo/demo-plan";
import type { DemoResult } from "../../src/demo/demo-result";
import { runDemoOn } from "../../src/demo/run-demo";
import { type LocalRuntime, startLocalRuntime } from "../../src/runtime/start-local-runtime";
import { sideEffectTotals } from "./support/world";

/**
 * Suite 1, on real PostgreSQL: the `npm start` refresh with every event delivered 2-3 times, shuffled and
 * delayed. The target's every AWSCURRENT credential must log in over verified TLS, nothing may be staged
 * and left (AWSPENDING), and each side effect must happen once (one master password, one CREATE ROLE
 * per user, one masking statement, one notification).
 */
describe("chaos delivery on real PostgreSQL", () => {
  let dir: string;
  let runtime: LocalRuntime;
  let result: DemoResult;
  const progress: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "aurora-chaos-pg-"));
    // The PostgreSQL servers run as their own user when the tests run as root: let it reach the state.
    await chmod(dir, 0o711);
    runtime = await startLocalRuntime({
      stateDir: join(dir, "state"),
      watcherIntervalMs: 250,
      rdsTimings: { create: 0, copy: 0, rename: 0, passwordChange: 0, delete: 0 },
      log: { write: () => true },
    });
    runtime.bridge.setChaos({ duplicates: 2, maxDuplicates: 3, shuffle: true, maxDelayMs: 500 });
    result = await runDemoOn(runtime, {
      rows: 50,
      progress: { write: (line: string) => progress.push(line) },
      planFile: join(dir, "plan.json"),
    });
    await runtime.idle();
  }, 240_000);

  afterAll(async () => {
    await runtime?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("refreshes once: credentials consistent, each side effect once, one notification", async () => {
    const metrics = runtime.bridge.metrics;
    const totals = sideEffectTotals(runtime.calls.calls);
    // The demo target has two application users and one masking script (examples/plans/local-demo.json).
    const expected: Record<string, number> = {
      "rds.restoreClusterFromSnapshot": 1,
      "sns.publish": 1,
      "database.CREATE ROLE": 2,
      "database.UPDATE": 1,
    };
    const repeated = Object.entries(expected).reduce(
      (sum, [key, count]) => sum + Math.max(0, (totals[key] ?? 0) - count),
      0,
    );
    const masterPasswordSets = runtime.calls.calls.filter(
      (c) =>
        c.ok &&
        c.port === "rds" &&
        c.call === "modifyCluster" &&
        c.subject === `${demoNames.targetCluster}-next`,
    ).length;

    const secrets = runtime.secrets.port(demoStaging);
    const cluster = await runtime.rds.port(demoStaging).describeCluster(demoNames.targetCluster);
    const problems: string[] = [];
    for (const name of [
      result.connect.masterSecretName,
      ...result.connect.secrets.map((u) => u.secretName),
    ]) {
      const { versions } = await secrets.describeSecret(name);
      if (Object.values(versions).some((s) => s.includes("AWSPENDING")))
        problems.push(`${name}: AWSPENDING left`);
      const value = JSON.parse((await secrets.getSecretValue({ secretId: name })).secretString);
      try {
        const session = await runtime.database.connect({
          host: cluster.endpoint!,
          port: cluster.port!,
          database: value.dbname,
          user: value.username,
          password: value.password,
        });
        await session.close();
      } catch (error) {
        problems.push(`${name}: AWSCURRENT refused (${(error as { code?: string }).code})`);
      }
    }
    recordReliability("chaos-delivery", {
      operations: 1,
      events: metrics.invocations,
      duplicates: metrics.duplicated,
      lost: result.status === "running" ? 1 : 0,
      repeatedSideEffects: repeated + Math.max(0, masterPasswordSets - 2),
    });

    expect(result.status, result.error?.message).toBe("succeeded");
    expect(metrics.duplicated).toBeGreaterThan(0);
    for (const [key, count] of Object.entries(expected)) expect(totals[key] ?? 0, key).toBe(count);
    // The master password once, then the rename of -next to the target: never a second password.
    expect(masterPasswordSets).toBe(2);
    expect(problems).toEqual([]);
    expect(result.checks.every((c) => c.passed)).toBe(true);
  });
});
