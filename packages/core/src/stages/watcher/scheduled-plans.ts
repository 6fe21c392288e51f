import { createHash } from "node:crypto";
import { targetKeyOf } from "../../operation/ids";
import {
  latestFireTime,
  parseScheduleExpression,
  type ScheduleExpression,
} from "../../plan/schedule-expression";
import type { Plan, PlanTarget } from "../../plan/schema";
import type { ClusterSnapshot } from "../../ports/rds";
import type { StageDeps } from "../kit/deps";
import { errorCodeOf, errorMessageOf } from "../kit/errors";
import { pipelineMetrics } from "../kit/metrics";
import { isPipelineSnapshot, snapshotRefOf, snapshotStateOf, sourceScope } from "../kit/snapshot-refs";
import { startOperation } from "../kit/start-operation";

export interface ScheduleOptions {
  /**
   * A cron plan with no operation yet catches up a fire time missed this many minutes ago at most (default 60),
   * so adding a daily plan at 10:00 does not refresh at once for its 03:00 slot. A rate plan starts at once.
   */
  scheduleCatchUpMinutes?: number;
}

/**
 * One id per plan, target and fire time: two watcher runs that see the same fire time start one operation,
 * and the next fire time starts a new one even from the same source snapshot.
 */
export function scheduledOperationIdFor(input: {
  planId: string;
  targetKey: string;
  fireTime: Date;
}): string {
  const digest = createHash("sha256")
    .update(`schedule\n${input.planId}\n${input.targetKey}\n${input.fireTime.toISOString()}`)
    .digest("hex");
  return `op-${digest.slice(0, 20)}`;
}

/**
 * watcher, each tick: for every plan with `trigger.type === "schedule"`, start one operation per target whose
 * schedule fired since the target's last operation of that plan, from the source's newest available
 * snapshot. Busy targets are skipped (the fire time stays due, so they start once free). Plans refreshed on
 * every snapshot are never started here.
 */
export async function startScheduledPlans(
  deps: StageDeps,
  causationId: string,
  options: ScheduleOptions = {},
): Promise<void> {
  for (const plan of await deps.plans.list()) {
    if (plan.trigger.type !== "schedule") continue;
    try {
      await startDueTargets(
        deps,
        plan,
        parseScheduleExpression(plan.trigger.expression),
        causationId,
        options,
      );
    } catch (error) {
      // One plan's problem (an unreadable source, a bad expression) must not stop the other plans.
      deps.metrics.count(pipelineMetrics.scheduleErrors, 1, { planId: plan.id });
      deps.logger.error("Could not start a scheduled plan", {
        planId: plan.id,
        code: errorCodeOf(error),
        message: errorMessageOf(error),
      });
    }
  }
}

async function startDueTargets(
  deps: StageDeps,
  plan: Plan,
  schedule: ScheduleExpression,
  causationId: string,
  options: ScheduleOptions,
): Promise<void> {
  const now = deps.clock();
  const due: { target: PlanTarget; fireTime: Date }[] = [];
  for (const target of plan.targets) {
    const fireTime = await dueFireTime(deps, plan, target, schedule, now, options);
    if (fireTime) due.push({ target, fireTime });
  }
  if (due.length === 0) return;

  const snapshot = newestUsableSnapshot(
    await deps.rds(sourceScope(plan)).listClusterSnapshots({
      clusterIdentifier: plan.source.clusterIdentifier,
    }),
  );
  if (!snapshot) {
    deps.metrics.count(pipelineMetrics.scheduledRunsSkipped, 1, { planId: plan.id });
    deps.logger.warn("A scheduled plan is due but its source has no available snapshot; trying next tick", {
      planId: plan.id,
      source: `${plan.source.accountId}/${plan.source.region}/${plan.source.clusterIdentifier}`,
    });
    return;
  }

  for (const { target, fireTime } of due) {
    const targetKey = targetKeyOf(target);
    const operationId = scheduledOperationIdFor({ planId: plan.id, targetKey, fireTime });
    if (await deps.store.get(operationId)) continue;
    const busyWith = await deps.store.lockHolder(targetKey);
    if (busyWith) {
      deps.logger.info("A scheduled refresh waits: the target is busy", {
        planId: plan.id,
        targetKey,
        busyWith,
      });
      continue;
    }
    const outcome = await startOperation(deps, {
      plan,
      target,
      snapshot: { ...snapshotRefOf(snapshot), type: snapshot.type === "automated" ? "automated" : "manual" },
      snapshotState: snapshotStateOf(snapshot),
      trigger: "schedule",
      requestedBy: `schedule ${schedule.text} (fired ${fireTime.toISOString()})`,
      operationId,
      correlationId: operationId,
      causationId,
      stage: "watcher",
    });
    if (outcome.outcome === "started")
      deps.metrics.count(pipelineMetrics.scheduledRunsStarted, 1, { planId: plan.id });
  }
}

/** The fire time that makes the target due, or undefined while its last operation is recent enough. */
async function dueFireTime(
  deps: StageDeps,
  plan: Plan,
  target: PlanTarget,
  schedule: ScheduleExpression,
  now: Date,
  options: ScheduleOptions,
): Promise<Date | undefined> {
  // Newest first; any trigger counts (a manual refresh an hour ago satisfies rate(1 day)).
  const last = (await deps.store.listByTarget(targetKeyOf(target))).find((o) => o.planId === plan.id);
  if (last) return latestFireTime(schedule, now, new Date(last.createdAt));
  if (schedule.kind === "rate") return latestFireTime(schedule, now);
  const catchUpMs = (options.scheduleCatchUpMinutes ?? 60) * 60_000;
  return latestFireTime(schedule, now, new Date(now.getTime() - catchUpMs));
}

/** The newest snapshot the source took itself (automated or manual, not the pipeline's, not shared). */
function newestUsableSnapshot(snapshots: readonly ClusterSnapshot[]): ClusterSnapshot | undefined {
  return snapshots
    .filter(
      (s) =>
        s.status === "available" && s.type !== "shared" && s.createdAt && !isPipelineSnapshot(s.identifier),
    )
    .sort((a, b) => b.createdAt!.localeCompare(a.createdAt!))[0];
}
