import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { ManualRestoreRequested } from "@aurora-restore/core/events/domain";
import { targetKeyOf } from "@aurora-restore/core/operation/ids";
import { PlanValidationError, parsePlanJson } from "@aurora-restore/core/plan/index";
import { stageTimings, waitForOperation } from "@aurora-restore/local/runtime/operation-progress";
import { startLocalRuntime } from "@aurora-restore/local/runtime/start-local-runtime";
import { type Command, UsageError } from "../io";
import { integerFlag, parseArgs, requiredFlag, stringFlag } from "./parse-args";

/** YYYY-MM-DD that is a real calendar date. */
export function checkSnapshotDate(text: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const date = match ? new Date(`${text}T00:00:00Z`) : undefined;
  if (!match || !date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text) {
    throw new UsageError(`--source-snapshot-date must be a date as YYYY-MM-DD (got '${text}')`);
  }
  return text;
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
    const sourceSnapshotDate = checkSnapshotDate(requiredFlag(parsed, "source-snapshot-date", "YYYY-MM-DD"));
    const requestedOperationId = stringFlag(parsed, "operation-id");
    if (requestedOperationId !== undefined && !/^[A-Za-z0-9-]{1,64}$/.test(requestedOperationId)) {
      throw new UsageError("--operation-id must be 1 to 64 letters, digits or hyphens");
    }
    const timeoutMinutes = integerFlag(parsed, "timeout-minutes", 30, [1, 2880]);
    let plan: ReturnType<typeof parsePlanJson>;
    try {
      plan = parsePlanJson(await readFile(planFile, "utf8"), planFile);
    } catch (error) {
      if (error instanceof PlanValidationError) throw new UsageError(error.message);
      throw new UsageError(`cannot read ${planFile}: ${(error as Error).message}`);
    }
    const target = plan.targets.find((t) => t.clusterIdentifier === targetClusterId);
    if (!target) {
      throw new UsageError(
        `plan ${plan.id} has no target ${targetClusterId} (its targets: ${plan.targets.map((t) => t.clusterIdentifier).join(", ")})`,
      );
    }
    const runtime = await startLocalRuntime({ stateDir: stringFlag(parsed, "state-dir") });
    try {
      await runtime.registerPlan(plan, planFile);
      const requestId = randomUUID();
      // The trigger starts the operation under the request's operation id, so it can be followed directly.
      const operationId = requestedOperationId ?? `manual-${requestId}`;
      const entry = ManualRestoreRequested.entry(
        {
          operationId,
          correlationId: requestId,
          causationId: requestId,
          occurredAt: new Date().toISOString(),
          targetClusterId,
          sourceSnapshotDate,
          requestedBy: `cli:${userInfo().username}`,
        },
        { busName: runtime.busName },
      );
      await runtime.depsFor("cli").publisher.putEvents([entry]);
      io.stderr.write(
        `Requested a refresh of ${targetClusterId} from the ${sourceSnapshotDate} snapshot (operation ${operationId})\n`,
      );
      await runtime.bridge.drain();
      const started = await runtime.store.get(operationId);
      if (!started) {
        const rejected = (await runtime.audit.listByOperation(operationId)).filter(
          (e) => e.outcome === "rejected",
        );
        const reason = rejected.map((e) => String(e.details?.reason ?? e.action)).join("; ");
        throw new UsageError(
          `the trigger started no operation for ${targetKeyOf(target)}${reason ? `: ${reason}` : ""}. ` +
            "See 'aurora-restore local dlq list' and <state>/logs/pipeline.log.",
          1,
        );
      }
      io.stderr.write(`Operation ${started.operationId} started\n`);
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
    }
  },
};
