import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { targetKeyOf } from "@aurora-restore/core/operation/ids";
import type { OperationInfo } from "@aurora-restore/core/storage/operations";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordReliability } from "../../../../test/reliability/record";
import { ManualRestoreRefusedError, requestManualRestore } from "../../src/runtime/manual-restore";
import { listAllOperations } from "../../src/runtime/open-state";
import { startLocalRuntime } from "../../src/runtime/start-local-runtime";
import { StateFolderBusyError } from "../../src/state-lock";
import { baselineRefresh } from "./support/baseline";
import { whyStuck } from "./support/faults";
import {
  type ReliabilityWorld,
  repeatedSideEffects,
  sharedCopyEffects,
  sideEffectTotals,
  startReliabilityWorld,
  targetPlan,
  zeroTimings,
} from "./support/world";

/**
 * Suite 6 of the reliability suite, "Contention": two requests for one target at once (in one process, and
 * from a second process on the same state folder): exactly one proceeds, the other is refused clearly and
 * recorded; and 200 operations on distinct targets at once all complete, each side effect once per refresh.
 */

const manyTargets = Number(process.env.AURORA_RESTORE_CONTENTION_OPERATIONS ?? 200);
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const cli = fileURLToPath(new URL("../../../cli/src/bin.ts", import.meta.url));

const today = () => new Date().toISOString().slice(0, 10);

async function waitForEnd(world: ReliabilityWorld, operationId: string, timeoutMs = 60_000) {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    const operation = await world.runtime.store.get(operationId);
    if (operation && operation.status !== "running") return operation;
  }
  throw new Error(`operation ${operationId} did not end`);
}

describe("contention in one process", () => {
  let world: ReliabilityWorld;
  let perRefresh: Record<string, number>;

  beforeAll(async () => {
    world = await startReliabilityWorld();
    perRefresh = await baselineRefresh(world);
  }, 120_000);

  afterAll(async () => {
    await world?.stop();
  });

  it("two manual requests for one target at once: one proceeds, the other is refused (TargetBusy) and recorded", async () => {
    // A plan on automated snapshots: the manual snapshots of the other tests leave it alone, and the
    // requests name the automated snapshot the baseline took today.
    const [target] = await world.plan("busy-manual", "busy-manual", 1, ["automated"]);
    const before = world.runtime.calls.calls.length;

    const request = () =>
      requestManualRestore(world.runtime, {
        targetClusterId: target!,
        sourceSnapshotDate: today(),
        requestedBy: "contention suite",
      });
    const answers = await Promise.allSettled([request(), request()]);
    const started = answers.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []));
    const refused = answers.flatMap((a) => (a.status === "rejected" ? [a.reason as Error] : []));
    expect(started).toHaveLength(1);
    expect(started[0]?.outcome).toBe("started");
    expect(refused).toHaveLength(1);
    const refusal = refused[0] as ManualRestoreRefusedError;
    expect(refusal).toBeInstanceOf(ManualRestoreRefusedError);
    expect(refusal.message).toContain(`already has an active operation (${started[0]!.operationId})`);

    const winner = await waitForEnd(world, started[0]!.operationId);
    await world.runtime.idle();
    expect(winner.status, winner.error?.message).toBe("succeeded");
    // The refused request made no operation, and its refusal is in its audit trail, with who holds the target.
    expect(await world.runtime.store.get(refusal.operationId)).toBeUndefined();
    const trail = await world.runtime.audit.listByOperation(refusal.operationId);
    expect(trail.map((e) => `${e.stage} ${e.action} ${e.outcome}`)).toEqual([
      "trigger start-operation rejected",
    ]);
    expect(trail[0]?.details?.activeOperationId).toBe(started[0]!.operationId);
    // One refresh's side effects, nothing of the other.
    const { repeated, differences } = repeatedSideEffects(
      sideEffectTotals(world.runtime.calls.calls.slice(before)),
      perRefresh,
      1,
    );
    expect(differences).toEqual({});
    expect(await world.credentialProblems(target!)).toEqual([]);
    recordReliability("contention", { operations: 1, badInputs: 1, repeatedSideEffects: repeated });
  }, 120_000);

  it("two snapshots for one target at once: one operation proceeds, the other is refused (TargetBusy) and recorded", async () => {
    const [target] = await world.plan("busy-snapshots", "busy-snap", 1);
    const before = world.runtime.calls.calls.length;
    await Promise.all([world.snapshot("busy-snapshots-1"), world.snapshot("busy-snapshots-2")]);
    await world.runtime.idle();
    const mine = (await listAllOperations(world.runtime.store)).filter((o) => o.planId === "busy-snapshots");
    expect(mine).toHaveLength(1);
    const [winner] = await world.ended("busy-snapshots", 1, 60_000);
    await world.runtime.idle();
    expect(winner?.status, winner?.error?.message).toBe("succeeded");

    // The other snapshot's event was refused as not retryable: in the dead-letter queue, to re-drive later.
    const refused = world.runtime.bridge
      .listDeadLetters()
      .filter(
        (m) => m.errorCode === "TargetBusy" && JSON.stringify(m.event.detail).includes("busy-snapshots-"),
      );
    expect(refused).toHaveLength(1);
    expect(refused[0]?.retriable).toBe(false);
    expect(refused[0]?.errorMessage).toContain(`already has an active operation (${winner!.operationId})`);
    const trail = await world.runtime.audit.listByTarget(targetKeyOf(winner!.target));
    const rejections = trail.filter((e) => e.outcome === "rejected" && e.action === "start-operation");
    expect(rejections).toHaveLength(1);
    expect(rejections[0]?.details?.activeOperationId).toBe(winner!.operationId);

    const { repeated, differences } = repeatedSideEffects(
      sideEffectTotals(world.runtime.calls.calls.slice(before)),
      perRefresh,
      1,
    );
    expect(differences).toEqual({});
    expect(await world.credentialProblems(target!)).toEqual([]);
    recordReliability("contention", { operations: 1, badInputs: 1, repeatedSideEffects: repeated });
    // From now on the plan leaves the next tests' manual snapshots alone.
    await world.runtime.registerPlan(
      targetPlan("busy-snapshots", [target!], world.runtime.topicArn, ["automated"]),
    );
  }, 120_000);

  it(`${manyTargets} operations on distinct targets: all complete, each side effect once per refresh`, async () => {
    // Plans take at most 50 targets: 4 plans of 50, each started by its own snapshot once the previous
    // one's refreshes ended (waves of 50). The refreshes of one snapshot share their intermediate copies,
    // so RDS's quota of 100 manual snapshots per region no longer limits how many run at once (the
    // throughput bench runs 500 from one snapshot); each wave makes its own three copies.
    const plans = Array.from({ length: Math.ceil(manyTargets / 50) }, (_, i) => ({
      id: `many-${String.fromCharCode(97 + i)}`,
      count: Math.min(50, manyTargets - i * 50),
    }));
    const before = world.runtime.calls.calls.length;
    const started = Date.now();
    const ended: OperationInfo[] = [];
    const targets: string[] = [];
    const waves: string[] = [];
    for (const plan of plans) {
      const waveStarted = Date.now();
      targets.push(...(await world.plan(plan.id, plan.id, plan.count)));
      await world.snapshot(`${plan.id}-1`);
      try {
        ended.push(...(await world.ended(plan.id, plan.count, 400_000)));
      } catch (error) {
        throw new Error(`${(error as Error).message.split("\n")[0]}\n${await whyStuck(world, plan.id)}`);
      }
      await world.runtime.idle();
      // Out of the way of the next wave's snapshot.
      await world.runtime.registerPlan(
        targetPlan(plan.id, targets.slice(-plan.count), world.runtime.topicArn, ["automated"]),
      );
      waves.push(`${plan.count} in ${((Date.now() - waveStarted) / 1000).toFixed(1)} s`);
    }
    const seconds = (Date.now() - started) / 1000;
    const failed = ended.filter((o) => o.status !== "succeeded");
    const calls = world.runtime.calls.calls.slice(before);
    const shared = sharedCopyEffects(ended, calls);
    const { repeated, differences } = repeatedSideEffects(
      sideEffectTotals(calls),
      perRefresh,
      manyTargets,
      shared.exactly,
    );
    const succeeded = ended.filter((o) => o.status === "succeeded").map((o) => o.target.clusterIdentifier);
    const credentialProblems = (await Promise.all(succeeded.map((t) => world.credentialProblems(t)))).flat();
    recordReliability("contention", {
      operations: ended.length,
      lost: manyTargets - succeeded.length,
      repeatedSideEffects: repeated,
    });
    console.log(
      `contention: ${ended.length} operations in ${seconds.toFixed(1)} s (waves: ${waves.join(", ")}), ` +
        `${failed.length} failed, ${repeated} repeated side effects\n${profile(world, ended)}`,
    );
    expect(failed.map((o) => `${o.target.clusterIdentifier}: ${o.error?.stage} ${o.error?.message}`)).toEqual(
      [],
    );
    expect(ended).toHaveLength(manyTargets);
    expect(succeeded.sort()).toEqual([...targets].sort());
    expect(differences).toEqual({});
    expect(shared.notOnce).toEqual([]);
    expect(credentialProblems).toEqual([]);
    expect(await world.leftoverSnapshots()).toEqual([]);
  }, 1_800_000);
});

/**
 * Where the time of a run of many operations went: each stage's duration over the operations (median and
 * slowest), the handlers' time per stage (sum over deliveries), and how long operations waited to start.
 */
function profile(world: ReliabilityWorld, operations: readonly OperationInfo[]): string {
  const lines: string[] = [];
  const byStage = new Map<string, number[]>();
  for (const operation of operations) {
    for (const [stage, times] of Object.entries(operation.stageTimes)) {
      if (!times?.endedAt) continue;
      const list = byStage.get(stage) ?? [];
      list.push(Date.parse(times.endedAt) - Date.parse(times.startedAt));
      byStage.set(stage, list);
    }
  }
  const ms = (n: number) => `${(n / 1000).toFixed(1)} s`;
  for (const [stage, list] of byStage) {
    list.sort((a, b) => a - b);
    lines.push(
      `  ${stage.padEnd(9)} median ${ms(list[Math.floor(list.length / 2)]!)}, slowest ${ms(list.at(-1)!)}`,
    );
  }
  const handler = new Map<string, { total: number; count: number }>();
  for (const metric of world.runtime.metrics.list()) {
    if (metric.name !== "HandlerDuration") continue;
    const entry = handler.get(metric.stage) ?? { total: 0, count: 0 };
    entry.total += metric.value;
    entry.count += 1;
    handler.set(metric.stage, entry);
  }
  for (const [stage, { total, count }] of handler) {
    lines.push(
      `  handler ${stage.padEnd(9)} ${count} deliveries, ${ms(total)} in all, ${(total / count).toFixed(0)} ms each`,
    );
  }
  const created = operations.map((o) => Date.parse(o.createdAt)).sort((a, b) => a - b);
  const updated = operations.map((o) => Date.parse(o.updatedAt)).sort((a, b) => a - b);
  lines.push(
    `  operations created over ${ms(created.at(-1)! - created[0]!)}; last ended ${ms(updated.at(-1)! - created[0]!)} after the first started`,
  );
  return lines.join("\n");
}

/** Runs the CLI as a user does: a new process. */
function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], {
      cwd: repoRoot,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => {
      stdout += String(c);
    });
    child.stderr.on("data", (c) => {
      stderr += String(c);
    });
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Two processes: packages/cli/test/state-folder-processes.test.ts already shows a second process refused
 * (one line naming the holder) by a process that merely holds the folder (its fixture). Here the holder is a
 * runtime in the middle of a refresh, and the second process asks to refresh the same target.
 */
describe("contention between two processes on one state folder", () => {
  let world: ReliabilityWorld;

  beforeAll(async () => {
    // Slow copies, so the refresh is still running when the second process comes.
    world = await startReliabilityWorld({ rdsTimings: { ...zeroTimings, copy: 4_000 } });
  }, 60_000);

  afterAll(async () => {
    await world?.stop();
  });

  it("a second `restore` of the same target while a refresh runs is refused with one line; the refresh goes on", async () => {
    const [target] = await world.plan("two-processes", "two-proc", 1);
    const planFile = join(world.dir, "plan.json");
    await writeFile(planFile, JSON.stringify(targetPlan("two-processes", [target!], world.runtime.topicArn)));
    await world.snapshot("two-processes-1");
    for (let i = 0; i < 100 && (await world.runtime.store.listByStatus("running")).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const [running] = await world.runtime.store.listByStatus("running");
    expect(running?.target.clusterIdentifier).toBe(target);

    const second = await runCli([
      "restore",
      ...["--plan", planFile, "--target-cluster-id", target!, "--source-snapshot-date", today()],
      ...["--state-dir", world.stateDir],
    ]);
    // Refused before doing anything, in one line that names the holder and what to do.
    expect(second.code).toBe(1);
    expect(second.stdout).toBe("");
    const lines = second.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`the state folder ${world.stateDir} is in use by process ${process.pid}`);
    expect(lines[0]).toContain("wait for it to finish, stop it");
    // Still running while the second process came and went; a second runtime in this process is refused too.
    expect((await world.runtime.store.get(running!.operationId))?.status).toBe("running");
    await expect(startLocalRuntime({ stateDir: world.stateDir, clusters: "instant" })).rejects.toBeInstanceOf(
      StateFolderBusyError,
    );

    const ended = await waitForEnd(world, running!.operationId);
    await world.runtime.idle();
    expect(ended.status, ended.error?.message).toBe("succeeded");
    const operations = (await listAllOperations(world.runtime.store)).filter(
      (o) => o.targetKey === running!.targetKey,
    );
    expect(operations.map((o) => o.operationId)).toEqual([running!.operationId]);
    expect(await world.credentialProblems(target!)).toEqual([]);
    recordReliability("contention", { operations: 1, badInputs: 2 });
  }, 120_000);
});
