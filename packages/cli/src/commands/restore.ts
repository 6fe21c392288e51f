import { readFile } from "node:fs/promises";
import { userInfo } from "node:os";
import type { Plan } from "@aurora-restore/core/plan/index";
import { type Command, escapeControl, UsageError } from "../io";
import { stageProgress } from "../progress/stage-progress";
import { onStopSignal } from "../stop-signals";
import { jsonOption, stateDirOption } from "./common-options";
import { integerFlag, requiredFlag, stringFlag } from "./option-values";
import { describePlanErrors } from "./plan-validate";
import { creatableStateDir } from "./state-dir-option";

/** The request's field names (target_cluster_id...) as the flags a CLI user typed (--target-cluster-id...). */
function flagNames(message: string): string {
  return message.replace(
    /\b(target_cluster_id|source_snapshot_date|operation_id)\b/g,
    (field) => `--${field.replaceAll("_", "-")}`,
  );
}

export const restoreCommand: Command = {
  path: ["restore"],
  summary: "Refresh one target on demand from the source snapshot of a given date (local runtime)",
  options: [
    { flags: "--plan <file>", description: "the plan file naming the target (required)" },
    { flags: "--target-cluster-id <id>", description: "the target cluster to refresh (required)" },
    {
      flags: "--source-snapshot-date <YYYY-MM-DD>",
      description: "the day of the source snapshot to restore (required)",
    },
    { flags: "--operation-id <id>", description: "the operation's id, to make a retried request idempotent" },
    {
      flags: "--timeout-minutes <n>",
      description: "give up following it after this long, 1 to 2880 (default: 30)",
    },
    jsonOption,
    stateDirOption,
  ],
  details:
    "Publishes a ManualRestoreRequested event on the local pipeline bus and follows the operation it starts.\n" +
    "It also registers the plan, which stays: later snapshots of its source (or its schedule) refresh its\n" +
    "targets whenever a local runtime runs ('local up'); 'plans list' shows it, 'plans remove' removes it.",
  examples: [
    "aurora-restore restore --plan examples/plans/local-demo.json --target-cluster-id staging-db --source-snapshot-date 2025-03-14",
  ],
  async run(parsed, io) {
    const { targetKeyOf } = await import("@aurora-restore/core/operation/ids");
    const { PlanValidationError, parsePlanJson } = await import("@aurora-restore/core/plan/index");
    const { ManualRequestError, parseManualRequest } = await import("@aurora-restore/core/stages/trigger");
    const { ManualRestoreRefusedError, requestManualRestore } = await import(
      "@aurora-restore/local/runtime/manual-restore"
    );
    const { stageTimings, waitForOperation } = await import(
      "@aurora-restore/local/runtime/operation-progress"
    );
    const { planSentence } = await import("@aurora-restore/local/runtime/plan-coverage");
    const { startLocalRuntime } = await import("@aurora-restore/local/runtime/start-local-runtime");
    const planFile = requiredFlag(parsed, "plan", "the plan file naming the target");
    const targetClusterId = requiredFlag(parsed, "target-cluster-id", "the target cluster to refresh");
    const sourceSnapshotDate = requiredFlag(parsed, "source-snapshot-date", "YYYY-MM-DD");
    const requestedOperationId = stringFlag(parsed, "operation-id");
    // The trigger's own validation, before any server starts; it runs again on the event.
    try {
      parseManualRequest(
        { targetClusterId, sourceSnapshotDate, operationId: requestedOperationId },
        new Date(),
      );
    } catch (error) {
      if (error instanceof ManualRequestError) throw new UsageError(flagNames(error.message));
      throw error;
    }
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
      const summary = {
        operationId: final.operationId,
        status: final.status,
        stages: stageTimings(final, trail),
        target: { clusterId: targetClusterId, accountId: target.accountId, region: target.region },
        ...(final.error ? { error: final.error } : {}),
        stateDir: runtime.stateDir,
        registeredPlan: { id: plan.id, removeWith: `aurora-restore plans remove ${plan.id}` },
      };
      if (parsed.flags.has("json")) io.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
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
  },
};
