import { readFile } from "node:fs/promises";
import { userInfo } from "node:os";
import type { Plan } from "@aurora-restore/core/plan/index";
import { type CliIo, type Command, escapeControl, UsageError } from "../io";
import { stageProgress } from "../progress/stage-progress";
import { deployedStageHelp, deployedStageOf, deployedStageOptions } from "../remote/stage-address";
import { onStopSignal } from "../stop-signals";
import { jsonOption, stateDirOption } from "./common-options";
import { integerFlag, type ParsedArgs, stringFlag } from "./option-values";
import { describePlanErrors } from "./plan-validate";
import { existingStateDir } from "./state-dir-option";

export const operationsRetryCommand: Command = {
  path: ["operations", "retry"],
  summary: "Run a failed operation again from the stage that failed (or --from-start)",
  operands: "<operationId>",
  options: [
    {
      flags: "--from-start",
      description: "start a new operation for the same snapshot and target instead of resuming",
    },
    {
      flags: "--plan <file>",
      description: "register this (fixed) version of the operation's plan first, e.g. corrected SQL",
    },
    {
      flags: "--timeout-minutes <n>",
      description:
        "give up following it after this long, 1 to 2880 (default: 30 locally, 720 on a deployed stage)",
    },
    {
      flags: "--no-wait",
      description: "deployed stage only: publish the request, print its event id and how to follow it, exit",
    },
    jsonOption,
    stateDirOption,
    ...deployedStageOptions,
  ],
  details:
    "Resumes the operation under the same id and audit trail at the stage that failed, reusing what the\n" +
    "plan kept of the failed run (retention.keepFailedResourcesHours): configure and verify run again on\n" +
    "the restored -next cluster, restore runs again from the copied snapshot. Without kept resources it\n" +
    "runs from the start under the same id. The audit trail records the retry and who asked. With\n" +
    "--stage it publishes RetryRequested on the deployed stage's bus and follows the answer; Ctrl-C\n" +
    "stops following only.\n\n" +
    deployedStageHelp,
  examples: [
    "aurora-restore operations retry manual-3f2a9c1e --plan examples/plans/local-demo.json",
    "aurora-restore operations retry op-0123456789abcdef0123 --from-start",
    "aurora-restore operations retry manual-0c7d5e6f --stage production --region eu-west-1",
  ],
  async run(parsed, io) {
    const address = await deployedStageOf(parsed);
    if (address) {
      const { retryOnStage } = await import("../remote/retry-on-stage");
      return retryOnStage(parsed, io, address);
    }
    if (parsed.flags.has("no-wait")) throw new UsageError("--no-wait is for a deployed stage (--stage)");
    const [operationId, extra] = parsed.positionals;
    if (!operationId || extra) throw new UsageError("give exactly one operation id (see 'operations list')");
    const timeoutMinutes = integerFlag(parsed, "timeout-minutes", 30, [1, 2880]);
    const planFile = stringFlag(parsed, "plan");
    const plan = planFile ? await readPlan(planFile) : undefined;
    const stateDir = await existingStateDir(parsed);
    await checkRetryable(stateDir, operationId, plan);
    return followRetry({ stateDir, operationId, plan, planFile, timeoutMinutes, parsed, io });
  },
};

async function readPlan(planFile: string): Promise<Plan> {
  const { PlanValidationError, parsePlanJson } = await import("@aurora-restore/core/plan/index");
  try {
    return parsePlanJson(await readFile(planFile, "utf8"), planFile);
  } catch (error) {
    if (error instanceof PlanValidationError) throw new UsageError(describePlanErrors(error));
    throw new UsageError(
      `cannot read ${escapeControl(planFile)}: ${escapeControl((error as Error).message)}`,
    );
  }
}

/** Checks before any server starts: the operation exists and failed, and a --plan is that operation's plan. */
async function checkRetryable(stateDir: string, operationId: string, plan?: Plan): Promise<void> {
  const { openLocalState } = await import("@aurora-restore/local/runtime/open-state");
  const state = await openLocalState({ stateDir });
  try {
    const operation = await state.store.get(operationId);
    if (!operation) {
      throw new UsageError(
        `no operation ${escapeControl(operationId)} in ${escapeControl(stateDir)} (see 'aurora-restore operations list')`,
        1,
      );
    }
    if (operation.status !== "failed") {
      throw new UsageError(
        `operation ${escapeControl(operationId)} is ${operation.status}: only a failed operation is retried`,
        1,
      );
    }
    if (plan && plan.id !== operation.planId) {
      throw new UsageError(
        `--plan is plan ${escapeControl(plan.id)}, but ${escapeControl(operationId)} runs plan ${escapeControl(operation.planId)}`,
      );
    }
  } finally {
    await state.close();
  }
}

async function followRetry(input: {
  stateDir: string;
  operationId: string;
  plan: Plan | undefined;
  planFile: string | undefined;
  timeoutMinutes: number;
  parsed: ParsedArgs;
  io: CliIo;
}): Promise<number> {
  const { io, parsed } = input;
  const { startLocalRuntime } = await import("@aurora-restore/local/runtime/start-local-runtime");
  const { requestRetry, RetryRefusedLocallyError } = await import(
    "@aurora-restore/local/runtime/retry-request"
  );
  const { stageTimings, waitForOperation } = await import("@aurora-restore/local/runtime/operation-progress");
  const runtime = await startLocalRuntime({ stateDir: input.stateDir });
  const progress = stageProgress(io);
  const removeStopper = onStopSignal(() => {
    progress.stop();
    return runtime.stop().then(() => undefined);
  });
  try {
    if (input.plan) await runtime.registerPlan(input.plan, input.planFile);
    let answer: Awaited<ReturnType<typeof requestRetry>>;
    try {
      answer = await requestRetry(runtime, {
        operationId: input.operationId,
        fromStart: parsed.flags.has("from-start"),
        requestedBy: `cli:${userInfo().username}`,
      });
    } catch (error) {
      if (error instanceof RetryRefusedLocallyError) throw new UsageError(escapeControl(error.message), 1);
      throw error;
    }
    progress.line(
      answer.outcome === "resumed"
        ? `Retrying ${answer.operationId} at ${answer.resumeAt}${answer.reused.length > 0 ? `, reusing ${answer.reused.join(", ")}` : ", from the start"}`
        : `Started ${answer.operationId} for the same snapshot and target (retry of ${answer.previousOperationId})`,
    );
    const final = await waitForOperation(runtime.store, answer.operationId, {
      timeoutMs: input.timeoutMinutes * 60_000,
      onProgress: (event) => progress.stage(event),
    });
    progress.stop();
    await runtime.idle();
    const trail = await runtime.audit.listByOperation(final.operationId);
    if (parsed.flags.has("json")) {
      const { outcome, ...rest } = answer;
      io.stdout.write(
        `${JSON.stringify({ retry: { outcome, ...rest }, status: final.status, stages: stageTimings(final, trail), ...(final.error ? { error: final.error } : {}) })}\n`,
      );
    } else {
      io.stdout.write(
        `${final.operationId}: ${final.status}${final.error ? ` in ${final.error.stage}: ${final.error.code}: ${final.error.message}` : ""}\n`,
      );
    }
    return final.status === "succeeded" ? 0 : 1;
  } finally {
    progress.stop();
    await runtime.stop();
    removeStopper();
  }
}
