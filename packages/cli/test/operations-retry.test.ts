/**
 * Issue 12, "Retry a failed operation", as a user runs it: real processes of the CLI on one state folder. A
 * refresh fails in configure on a mistyped post-restore SQL; the plan is fixed; `operations retry` finishes it
 * on the cluster already restored: the audit trail shows one copy and one restore, and the retry.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliProcess } from "./support/cli-process";

/** The CLI as a user runs it: a new process (support/cli-process.ts). */
const cli = runCliProcess;

interface AuditEntry {
  stage: string;
  action: string;
  outcome: string;
  details?: Record<string, unknown>;
}

let dir: string;
let stateDir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "aurora-retry-"));
  // The PostgreSQL servers run as another user when the tests run as root: let them through.
  await chmod(dir, 0o755);
  stateDir = join(dir, "state");
  const demo = await cli(["demo", "--exit", "--rows", "20", "--state-dir", stateDir]);
  expect(demo.code, demo.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("[slow] operations retry, as a user runs it", () => {
  it("a post-restore SQL fixed in the plan: retry resumes at configure on the restored cluster, without a second copy or restore", async () => {
    const registered = JSON.parse(await readFile(join(stateDir, "plans", "local-demo.json"), "utf8"));
    const fixed = { ...registered, retention: { ...registered.retention, keepFailedResourcesHours: 24 } };
    const broken = structuredClone(fixed);
    broken.targets[0].postRestoreSql = [
      ...broken.targets[0].postRestoreSql,
      { name: "mask-phones", sql: "UPDATE customers SET phnoe = NULL" },
    ];
    await writeFile(join(dir, "broken.json"), JSON.stringify(broken));
    await writeFile(join(dir, "fixed.json"), JSON.stringify(fixed));
    const today = new Date().toISOString().slice(0, 10);

    const failed = await cli([
      "restore",
      "--plan",
      join(dir, "broken.json"),
      "--target-cluster-id",
      "staging-db",
      "--source-snapshot-date",
      today,
      "--json",
      "--state-dir",
      stateDir,
    ]);
    expect(failed.code, failed.stderr).toBe(1);
    const failure = JSON.parse(failed.stdout) as {
      operationId: string;
      error: { stage: string; message: string };
    };
    expect(failure.error.stage).toBe("configure");
    expect(failure.error.message).toMatch(/mask-phones/);

    const notFailed = await cli(["operations", "retry", "op-none", "--state-dir", stateDir]);
    expect(notFailed.code).toBe(1);
    expect(notFailed.stderr).toMatch(/no operation op-none/);

    const retried = await cli([
      "operations",
      "retry",
      failure.operationId,
      "--plan",
      join(dir, "fixed.json"),
      "--json",
      "--state-dir",
      stateDir,
    ]);
    expect(retried.code, retried.stderr).toBe(0);
    const result = JSON.parse(retried.stdout);
    expect(result.retry).toMatchObject({ outcome: "resumed", resumeAt: "configure" });
    expect(result.status).toBe("succeeded");

    const audit = await cli(["audit", failure.operationId, "--json", "--state-dir", stateDir]);
    const trail = JSON.parse(audit.stdout) as AuditEntry[];
    const count = (stage: string, action: string, outcome = "started") =>
      trail.filter((e) => e.stage === stage && e.action === action && e.outcome === outcome).length;
    expect(count("restore", "restore-cluster")).toBe(1);
    expect(trail.filter((e) => e.stage === "copy" && e.outcome === "started").length).toBeGreaterThan(0);
    const copiesBefore = trail.findIndex((e) => e.action === "retry-operation");
    expect(
      trail
        .slice(copiesBefore)
        .filter((e) => e.stage === "copy" || (e.stage === "restore" && e.action === "restore-cluster")),
    ).toEqual([]);
    const retry = trail.find((e) => e.action === "retry-operation" && e.outcome === "started");
    expect(retry?.details).toMatchObject({ retry: 1, failedStage: "configure", resumeAt: "configure" });
    expect(String(retry?.details?.requestedBy)).toMatch(/^cli:/);
    expect(count("configure", "post-restore-sql", "succeeded")).toBeGreaterThan(0);

    // Retrying a succeeded operation is refused with the reason.
    const again = await cli(["operations", "retry", failure.operationId, "--state-dir", stateDir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/is succeeded: only a failed operation is retried/);
  }, 600_000);
});
