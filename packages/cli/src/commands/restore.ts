import { readFile } from "node:fs/promises";
import { userInfo } from "node:os";
import type { Plan } from "@aurora-restore/core/plan/index";
import { type Command, escapeControl, UsageError } from "../io";
import { stageProgress } from "../progress/stage-progress";
import { deployedStageHelp, deployedStageOf, deployedStageOptions } from "../remote/stage-address";
import { onStopSignal } from "../stop-signals";
import { jsonOption, stateDirOption } from "./common-options";
import { integerFlag, requiredFlag } from "./option-values";
import { describePlanErrors } from "./plan-validate";
import { flagNames, restoreRequestOf } from "./restore-request";
import { creatableStateDir } from "./state-dir-option";

export const restoreCommand: Command = {
  path: ["restore"],
  summary: "Refresh one target on demand from the source snapshot of a given date",
  options: [
    {
      flags: "--plan <file>",
      description: "the plan file naming the target (required locally; a deployed stage has its plans)",
    },
    { flags: "--target-cluster-id <id>", description: "the target cluster to refresh (required)" },
    {
      flags: "--source-snapshot-date <YYYY-MM-DD>",
      description: "the day of the source snapshot to restore (required)",
    },
    { flags: "--operation-id <id>", description: "the operation's id, to make a retried request idempotent" },
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
  details: [
    "Publishes a ManualRestoreRequested event on the pipeline bus (the local one, or the deployed stage's",
    "with --stage) and follows the operation it starts, stage by stage on stderr, until it ends: exit 0",
    "when it succeeded, 1 when it failed or the trigger refused the request. On a deployed stage Ctrl-C",
    "stops following only: the operation goes on in AWS ('operations show <id> --stage s' shows it).",
    "Locally it also registers the plan, which stays: later snapshots of its source (or its schedule)",
    "refresh its targets whenever a local runtime runs ('local up'); 'plans list' shows it, 'plans remove'",
    "removes it. A deployed stage's plans ship with its deployment.",
    "",
    deployedStageHelp,
  ].join("\n"),
  examples: [
    "aurora-restore restore --plan examples/plans/local-demo.json --target-cluster-id staging-db --source-snapshot-date 2025-03-14",
    "aurora-restore restore --target-cluster-id staging-db --source-snapshot-date 2025-03-14 --stage production --region eu-west-1",
    "aurora-restore restore --target-cluster-id staging-db --source-snapshot-date 2025-03-14 --operation-id refresh-0314 --stage production --no-wait",
  ],
  async run(parsed, io) {
    const address = await deployedStageOf(parsed);
    if (address) {
      const { restoreOnStage } = await import("../remote/restore-on-stage");
      return restoreOnStage(parsed, io, address);
    }
    if (parsed.flags.has("no-wait")) {
      throw new UsageError("--no-wait needs --stage: locally, restore runs the pipeline and follows it");
    }
    const { targetKeyOf } = await import("@aurora-restore/core/operation/ids");
    const { PlanValidationError, parsePlanJson } = await import("@aurora-restore/core/plan/index");
    const { ManualRequestError } = await import("@aurora-restore/core/stages/trigger");
    const { ManualRestoreRefusedError, requestManualRestore } = await import(
      "@aurora-restore/local/runtime/manual-restore"
    );
    const { waitForOperation } = await import("@aurora-restore/local/runtime/operation-progress");
    const { planSentence } = await import("@aurora-restore/local/runtime/plan-coverage");
    const { startLocalRuntime } = await import("@aurora-restore/local/runtime/start-local-runtime");
    const { writeOperationResult } = await import("../operation-result");
    const planFile = requiredFlag(parsed, "plan", "the plan file naming the target");
    const request = await restoreRequestOf(parsed);
    const { targetClusterId, sourceSnapshotDate } = request;
    const requestedOperationId = request.operationId;
    const timeoutMinutes = integerFlag(parsed, "timeout-minutes", 30, [1, 2880]);
    let plan: Plan;
    try {
      plan = parsePlanJson(await readFile(planFile, "utf8"), planFile);
    } catch (error) {
      if (error instanceof PlanValidationError) throw new UsageError(describePlanErrors(error));
      throw new UsageError(
        `cannot read ${escapeControl(planFile)}: ${escapeControl((error as Error).message)}`,
      );
    }
    const target = plan.targets.find((t) => t.clusterIdentifier === targetClusterId);
    if (!target) {
      throw new UsageError(
        escapeControl(
          `plan ${plan.id} has no target ${targetClusterId} (its targets: ${plan.targets.map((t) => t.clusterIdentifier).join(", ")})`,
        ),
      );
    }
    const stateDir = await creatableStateDir(parsed);
    const runtime = await startLocalRuntime({ stateDir });
    // Ctrl-C, SIGTERM, SIGHUP: stop the servers; the operation resumes on the next start.
    const progress = stageProgress(io);
    const removeStopper = onStopSignal(() => {
      progress.stop();
      return runtime.stop().then(() => undefined);
    });
    try {
      // The plan stays registered: the runtime (local up, a later command) acts on it from now on.
      await runtime.registerPlan(plan, planFile);
      progress.line(
        escapeControl(
          `Registered plan ${plan.id}: ${planSentence(plan)} from now on; remove it with 'aurora-restore plans remove ${plan.id}'`,
        ),
      );
      let started: Awaited<ReturnType<typeof requestManualRestore>>;
      try {
        started = await requestManualRestore(runtime, {
          targetClusterId,
          sourceSnapshotDate,
          ...(requestedOperationId === undefined ? {} : { operationId: requestedOperationId }),
          requestedBy: `cli:${userInfo().username}`,
        });
      } catch (error) {
        if (error instanceof ManualRequestError) throw new UsageError(flagNames(error.message));
        if (error instanceof ManualRestoreRefusedError) throw new UsageError(flagNames(error.message), 1);
        throw error;
      }
      progress.line(
        `Requested a refresh of ${targetKeyOf(target)} from the ${sourceSnapshotDate} snapshot: operation ${started.operationId} ${started.outcome === "started" ? "started" : "was already started by this request; following it"}`,
      );
      const final = await waitForOperation(runtime.store, started.operationId, {
        timeoutMs: timeoutMinutes * 60_000,
        onProgress: (event) => progress.stage(event),
      });
      progress.stop();
      await runtime.idle();
      const trail = await runtime.audit.listByOperation(final.operationId);
      return writeOperationResult(io, parsed.flags.has("json"), final, trail, {
        stateDir: runtime.stateDir,
        registeredPlan: { id: plan.id, removeWith: `aurora-restore plans remove ${plan.id}` },
      });
    } finally {
      progress.stop();
      await runtime.stop();
      removeStopper();
    }
  },
};
