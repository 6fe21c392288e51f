import { operationIdFor, targetKeyOf } from "../../operation/ids";
import type { Plan } from "../../plan/schema";
import type { StageDeps } from "../kit/deps";
import { errorCodeOf, errorMessageOf } from "../kit/errors";
import { pipelineMetrics } from "../kit/metrics";
import { isPipelineSnapshot, snapshotRefOf, snapshotStateOf, sourceScope } from "../kit/snapshot-refs";
import { startOperation } from "../kit/start-operation";
import type { WatcherOptions } from "./watcher";

/**
 * Starts operations for the newest snapshot of each planned source when its event never came (events are
 * best effort). The deterministic operation id makes this idempotent; busy targets are left alone.
 */
export async function reconcileSnapshots(
  deps: StageDeps,
  causationId: string,
  options: WatcherOptions = {},
): Promise<void> {
  const now = deps.clock().getTime();
  const since = now - (options.reconcileWindowHours ?? 24) * 3_600_000;
  const until = now - (options.reconcileGraceMinutes ?? 10) * 60_000;
  for (const plan of await deps.plans.list()) {
    if (plan.trigger.type !== "every-snapshot") continue;
    try {
      await reconcilePlan(deps, plan, causationId, since, until);
    } catch (error) {
      deps.metrics.count(pipelineMetrics.reconcileErrors, 1, {});
      deps.logger.error("Could not reconcile a plan's snapshots", {
        planId: plan.id,
        code: errorCodeOf(error),
        message: errorMessageOf(error),
      });
    }
  }
}

async function reconcilePlan(deps: StageDeps, plan: Plan, causationId: string, since: number, until: number) {
  if (plan.trigger.type !== "every-snapshot") return;
  const types: readonly string[] = plan.trigger.snapshotTypes;
  const snapshots = await deps.rds(sourceScope(plan)).listClusterSnapshots({
    clusterIdentifier: plan.source.clusterIdentifier,
  });
  const newest = snapshots.find((s) => {
    const created = s.createdAt ? Date.parse(s.createdAt) : Number.NaN;
    return (
      s.status === "available" &&
      types.includes(s.type) &&
      !isPipelineSnapshot(s.identifier) &&
      created >= since &&
      created <= until
    );
  });
  if (!newest || newest.type === "shared") return;
  for (const target of plan.targets) {
    const targetKey = targetKeyOf(target);
    const operationId = operationIdFor({ snapshotArn: newest.arn, targetKey });
    if (await deps.store.get(operationId)) continue;
    if (await deps.store.lockHolder(targetKey)) continue;
    deps.logger.warn("Starting an operation for a snapshot whose event never came", {
      snapshot: newest.arn,
      targetKey,
    });
    await startOperation(deps, {
      plan,
      target,
      snapshot: { ...snapshotRefOf(newest), type: newest.type },
      snapshotState: snapshotStateOf(newest),
      trigger: "reconciler",
      requestedBy: "watcher (reconciler)",
      operationId,
      correlationId: operationId,
      causationId,
      stage: "watcher",
    });
    deps.metrics.count(pipelineMetrics.snapshotsReconciled, 1, {});
  }
}
