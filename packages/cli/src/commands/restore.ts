import { readFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { targetKeyOf } from "@aurora-restore/core/operation/ids";
import { PlanValidationError, parsePlanJson } from "@aurora-restore/core/plan/index";
import { ManualRequestError, parseManualRequest } from "@aurora-restore/core/stages/trigger";
import {
  ManualRestoreRefusedError,
  requestManualRestore,
} from "@aurora-restore/local/runtime/manual-restore";
import { stageTimings, waitForOperation } from "@aurora-restore/local/runtime/operation-progress";
import { startLocalRuntime } from "@aurora-restore/local/runtime/start-local-runtime";
import { type Command, escapeControl, UsageError } from "../io";
import { onStopSignal } from "../stop-signals";
import { integerFlag, parseArgs, requiredFlag, stringFlag } from "./parse-args";
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
  usage: [
    "Usage: aurora-restore restore --plan <file> --target-cluster-id <id> --source-snapshot-date YYYY-MM-DD",
    "       [--operation-id <id>] [--timeout-minutes 30] [--json] [--state-dir DIR]",
    "",
    "Publishes a ManualRestoreRequested event on the local pipeline bus and follows the operation it starts.",
  ].join("\n"),
  async run(args, io) {
    const parsed = parseArgs(args, {
      values: [
        "plan",
        "target-cluster-id",
        "source-snapshot-date",
        "operation-id",
        "timeout-minutes",
        "state-dir",
      ],
      booleans: ["json"],
    });
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
    let plan: ReturnType<typeof parsePlanJson>;
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
    const removeStopper = onStopSignal(() => runtime.stop().then(() => undefined));
    try {
      await runtime.registerPlan(plan, planFile);
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
      io.stderr.write(
        `Requested a refresh of ${targetKeyOf(target)} from the ${sourceSnapshotDate} snapshot: operation ${started.operationId} ${started.outcome === "started" ? "started" : "was already started by this request; following it"}\n`,
      );
      const final = await waitForOperation(runtime.store, started.operationId, {
        timeoutMs: timeoutMinutes * 60_000,
        onProgress: (event) => {
          if (event.kind === "stage-ended") {
            io.stderr.write(
              `  ✓ ${event.stage.padEnd(10)} ${((event.durationMs ?? 0) / 1000).toFixed(1)} s\n`,
            );
          }
        },
      });
      await runtime.idle();
      const trail = await runtime.audit.listByOperation(final.operationId);
      const summary = {
        operationId: final.operationId,
        status: final.status,
        stages: stageTimings(final, trail),
        target: { clusterId: targetClusterId, accountId: target.accountId, region: target.region },
        ...(final.error ? { error: final.error } : {}),
        stateDir: runtime.stateDir,
      };
      if (parsed.flags.has("json")) io.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        io.stdout.write(
          `${final.operationId}: ${final.status}${final.error ? ` in ${final.error.stage}: ${final.error.code}: ${final.error.message}` : ""}\n`,
        );
      }
      return final.status === "succeeded" ? 0 : 1;
    } finally {
      await runtime.stop();
      removeStopper();
    }
  },
};
