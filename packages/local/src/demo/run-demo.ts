import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { targetKeyOf } from "@aurora-restore/core/operation/ids";
import { validatePlan } from "@aurora-restore/core/plan/index";
import type { OperationInfo } from "@aurora-restore/core/storage/operations";
import type { LineWriter } from "../runtime/console-logger";
import { type ProgressEvent, stageTimings, waitForOperation } from "../runtime/operation-progress";
import {
  type LocalRuntime,
  type LocalRuntimeOptions,
  startLocalRuntime,
} from "../runtime/start-local-runtime";
import { takeClusterSnapshot } from "../runtime/take-snapshot";
import { demoNames, demoPlan, demoProduction } from "./demo-plan";
import { type DemoResult, findOperationFor, summarize } from "./demo-result";
import { ensureDemoKeys, ensureProductionCluster } from "./demo-setup";

export const defaultPlanFile = fileURLToPath(
  new URL("../../../../examples/plans/local-demo.json", import.meta.url),
);

export interface DemoOptions {
  stateDir?: string;
  /** Customers in the sample data (products and orders scale with it). */
  rows?: number;
  /** Progress lines (stderr in the CLI). */
  progress: LineWriter;
  /** Takes the stage starts and ends instead of `progress` (the CLI draws them live at a terminal). */
  onStage?(event: ProgressEvent): void;
  planFile?: string;
  runtime?: Omit<LocalRuntimeOptions, "stateDir">;
  timeoutMs?: number;
  /** Aborting stops the runtime and ends the demo with an error (Ctrl-C). */
  signal?: AbortSignal;
  /** Gets the runtime as soon as it runs (the CLI stops it on Ctrl-C). */
  onRuntime?(runtime: LocalRuntime): void;
}

/**
 * The `npm start` scenario: start the embedded default, create production with sample data, write and
 * register the plan, take an AUTOMATED snapshot (its RDS event starts the pipeline), follow the operation
 * stage by stage, and report where everything is. Running it again refreshes the same target again.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const runtime = await startLocalRuntime({ ...options.runtime, stateDir: options.stateDir });
  options.onRuntime?.(runtime);
  const abort = () => void runtime.stop();
  options.signal?.addEventListener("abort", abort, { once: true });
  try {
    return await runDemoOn(runtime, options);
  } finally {
    options.signal?.removeEventListener("abort", abort);
    await runtime.stop();
  }
}

/** The scenario on a runtime the caller started (and stops): the end-to-end test runs it twice on one. */
export async function runDemoOn(
  runtime: LocalRuntime,
  options: Omit<DemoOptions, "stateDir" | "runtime" | "onRuntime">,
): Promise<DemoResult> {
  const started = Date.now();
  const say = (line: string) => options.progress.write(`${line}\n`);
  say(
    `Local runtime up in ${runtime.stateDir} (pipeline in ${runtime.pipeline.accountId}/${runtime.pipeline.region}, bus ${runtime.busName})`,
  );
  await ensureDemoKeys(runtime.kms);
  const planInput = demoPlan(runtime.topicArn);
  validatePlan(planInput, "the demo plan");
  const planFile = options.planFile ?? defaultPlanFile;
  await mkdir(dirname(planFile), { recursive: true });
  await writeFile(planFile, `${JSON.stringify(planInput, null, 2)}\n`);
  const plan = await runtime.registerPlan(planInput, planFile);
  say(`Plan ${plan.id} written to ${planFile}`);
  await ensureProductionCluster(runtime, options.rows ?? 200, say);
  checkAborted(options.signal);

  const target = plan.targets[0]!;
  const targetKey = targetKeyOf(target);
  await finishLeftoverOperation(runtime, targetKey, say, options.signal);
  const snapshot = await takeClusterSnapshot(
    runtime.rds,
    { ...demoProduction, clusterIdentifier: demoNames.sourceCluster, type: "automated" },
    say,
  );
  say(
    `Automated snapshot ${snapshot.identifier} of ${demoNames.sourceCluster} taken; its RDS event starts the pipeline`,
  );
  const operationId = await findOperationFor(runtime, targetKey, snapshot.arn, {
    timeoutMs: 60_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  say(`Operation ${operationId} started for ${targetKey}`);
  const onStage = options.onStage ?? ((event: ProgressEvent) => say(stageLine(event)));
  let final: OperationInfo = await waitForOperation(runtime.store, operationId, {
    timeoutMs: options.timeoutMs ?? 15 * 60_000,
    onProgress: (event) => {
      checkAborted(options.signal);
      if (event.stage !== "trigger") onStage(event);
    },
  });
  // notify and cleanup react to the final event; let them (and the old cluster's deletion) finish.
  await runtime.idle();
  final = (await runtime.store.get(operationId)) ?? final;
  const trail = (await runtime.audit.listByOperation(operationId)).sort((a, b) =>
    a.entryId.localeCompare(b.entryId),
  );
  for (const stage of stageTimings(final, trail).filter((s) => s.name === "notify" || s.name === "cleanup")) {
    onStage({
      kind: "stage-ended",
      stage: stage.name,
      at: stage.endedAt ?? stage.startedAt,
      durationMs: stage.durationMs ?? 0,
      step: final.step,
    });
  }
  return summarize(runtime, { operation: final, trail, plan, target, startedAtMs: started });
}

/** `  ✓ copy       1.2 s`, `  ✗ copy ...` for the stage an operation failed in, `  … copy` on its start. */
export function stageLine(event: ProgressEvent): string {
  if (event.kind === "stage-started") return `  … ${event.stage}`;
  const seconds = `${((event.durationMs ?? 0) / 1000).toFixed(1)} s`;
  return `  ${event.failed ? "✗" : "✓"} ${event.stage.padEnd(10)} ${seconds}`;
}

/**
 * An earlier run stopped mid-refresh (killed, or the machine went down) leaves its operation running and the
 * target locked; this runtime resumes it (its leases are ended at start). Let it finish before refreshing
 * again, instead of having the new snapshot refused because the target is busy.
 */
async function finishLeftoverOperation(
  runtime: LocalRuntime,
  targetKey: string,
  say: (line: string) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const running = (await runtime.store.listByTarget(targetKey)).filter((o) => o.status === "running");
  for (const operation of running) {
    say(
      `Operation ${operation.operationId} of an earlier run stopped at ${operation.step}; resuming it before refreshing again`,
    );
    const final = await waitForOperation(runtime.store, operation.operationId, {
      timeoutMs: 15 * 60_000,
      onProgress: () => checkAborted(signal),
    });
    say(`  ${final.operationId} ${final.status}${final.error ? `: ${final.error.message}` : ""}`);
    await runtime.idle();
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Error("Interrupted: every local server was stopped");
}
