import { type RdsEvent, rdsEventIds } from "../../events/rds";
import { stageOfStep } from "../../operation/steps";
import type { OperationInfo } from "../../storage/operations";
import { advance } from "../kit/advance";
import { audit } from "../kit/audit";
import type { StageDeps } from "../kit/deps";
import { errorCodeOf, errorMessageOf } from "../kit/errors";
import { failOperation } from "../kit/fail";
import { handOff, handoffOf } from "../kit/handoff";
import { pipelineMetrics } from "../kit/metrics";
import { type HandoffOptions, republishStalledHandoffs } from "../kit/republish-handoffs";
import { firstCheckAt, isCheckDue, nextCheckAfter } from "../kit/watch-schedule";
import { expectedSteps, type WatchContext, watchContextOf } from "../kit/watches";
import { announceExpiredKeptResources } from "./expired-kept-resources";
import { failOverdueOperations } from "./overdue-operations";
import { readyEvent } from "./ready-event";
import { reconcileSnapshots } from "./reconcile-snapshots";
import { type ScheduleOptions, startScheduledPlans } from "./scheduled-plans";
import { type ProbeResult, probe } from "./watch-probes";

export interface WatcherOptions extends ScheduleOptions, HandoffOptions {
  /** Reconcile snapshots created within this many hours (default 24). */
  reconcileWindowHours?: number;
  /** Leave snapshots younger than this to their (up to 5 minutes late) event (default 10). */
  reconcileGraceMinutes?: number;
}

type PendingWatch = Awaited<ReturnType<StageDeps["store"]["pendingWatches"]>>[number];

/** RDS events that mean something watched may have just changed. */
const earlyCheckIds: ReadonlySet<string> = new Set([
  rdsEventIds.clusterCreated,
  rdsEventIds.instanceCreated,
  rdsEventIds.clusterRenamed,
  rdsEventIds.clusterDeleted,
]);

/**
 * watcher (scheduled): RDS has no event for a finished copy and its events are best effort, so each tick
 * describes what operations wait on (each watch when its own back-off schedule says so, kit/watch-schedule.ts),
 * fails operations past their deadline, publishes again handoffs nobody took (republish-handoffs.ts), starts
 * operations for snapshots whose event never came, and starts plans whose schedule is due.
 */
export async function onSchedule(
  deps: StageDeps,
  tick: { id: string },
  options: WatcherOptions = {},
): Promise<void> {
  const now = deps.clock();
  await checkWatches(deps, tick.id, (watch) => isCheckDue(watch, now));
  // One listing of the running operations per tick serves both (each write below is conditional anyway).
  const running = await deps.store.listByStatus("running");
  await failOverdueOperations(deps, tick.id, running);
  await republishStalledHandoffs(deps, tick.id, options, running);
  await reconcileSnapshots(deps, tick.id, options);
  await startScheduledPlans(deps, tick.id, options);
  await announceExpiredKeptResources(deps, tick.id);
}

/**
 * watcher on RDS 0170/0005/0172/0171: look now, instead of at the next tick, at the watches on the resource
 * the event names (never at every watch: with many operations that would describe everything per event).
 */
export async function onRdsEvent(deps: StageDeps, event: RdsEvent): Promise<void> {
  if (!earlyCheckIds.has(event.detail.EventID)) return;
  const named = event.detail.SourceIdentifier;
  await checkWatches(deps, event.id, (watch) => watchNames(watch, named));
}

/** A resource whose status just changed, in its account and region. */
export interface ChangedResource {
  accountId: string;
  region: string;
  identifier: string;
}

/**
 * watcher on an in-process hint of the local runtime (its local RDS saw these resources change status; AWS
 * has no such event, see kit/watch-schedule.ts): looks now at the watches on those resources only.
 */
export async function onResourcesChanged(
  deps: StageDeps,
  changed: readonly ChangedResource[],
  causationId: string,
): Promise<void> {
  if (changed.length === 0) return;
  await checkWatches(deps, causationId, (watch) =>
    changed.some(
      (r) => r.accountId === watch.accountId && r.region === watch.region && watchNames(watch, r.identifier),
    ),
  );
}

/** True when the watch waits on `identifier`: its resource, or one of the instances it waits for. */
function watchNames(watch: PendingWatch, identifier: string): boolean {
  if (watch.resource === identifier || watch.resource.endsWith(`:${identifier}`)) return true;
  const context = watchContextOf(watch.context);
  return context?.instances?.includes(identifier) === true;
}

/**
 * A pending watch's operation is read again at most this often (a read per watch per check is what it saves):
 * a watch whose operation moved on is removed then.
 */
const operationRereadMs = 30_000;

/** What one run of checks described, so that it describes each resource once however many watches name it. */
type Probes = Map<string, Promise<ProbeResult>>;

/** Describes the pending watches `only` selects (default: all); publishes and removes the ready ones, fails the operations of failed ones. */
export async function checkWatches(
  deps: StageDeps,
  causationId: string,
  only: (watch: PendingWatch) => boolean = () => true,
): Promise<void> {
  const watches = (await deps.store.pendingWatches()).filter(only);
  const probes: Probes = new Map();
  for (const watch of watches) {
    try {
      await checkWatch(deps, watch, causationId, probes);
    } catch (error) {
      // One unreadable resource must not stop the others; the next run tries it again.
      deps.metrics.count(pipelineMetrics.watchErrors, 1, { kind: watch.kind });
      deps.logger.error("Could not check a watch", {
        operationId: watch.operationId,
        watchId: watch.watchId,
        code: errorCodeOf(error),
        message: errorMessageOf(error),
      });
      await checkSoonAfterError(deps, watch);
    }
  }
}

/** A check that failed (throttled, a DynamoDB error) is made again soon, not at the back-off's next time. */
async function checkSoonAfterError(deps: StageDeps, watch: PendingWatch): Promise<void> {
  const soon = firstCheckAt(deps.clock());
  if (watch.nextCheckAt && watch.nextCheckAt <= soon) return;
  await deps.store.rescheduleWatch(watch.operationId, watch.watchId, soon).catch((error: unknown) => {
    deps.logger.warn("Could not move a watch's next check", {
      operationId: watch.operationId,
      watchId: watch.watchId,
      message: errorMessageOf(error),
    });
  });
}

async function checkWatch(
  deps: StageDeps,
  watch: PendingWatch,
  causationId: string,
  probes: Probes,
): Promise<void> {
  const context = watchContextOf(watch.context);
  const now = deps.clock();
  const rereadDue =
    !watch.lastCheckedAt || now.getTime() - Date.parse(watch.lastCheckedAt) >= operationRereadMs;
  // A resource still pending needs nothing of its operation: describe it first, and read the operation only
  // once it is ready or failed, or when it is due to be read again (a watch whose operation moved on goes then).
  let result: ProbeResult | undefined;
  if (context && !rereadDue) {
    result = await probeWatch(deps, watch, context, probes);
    if (result.state === "pending") {
      await recordBusy(deps, watch, now);
      return;
    }
  }
  const operation = await deps.store.get(watch.operationId);
  if (!operation || !context) {
    deps.logger.warn("Removing a watch without operation or context", { ...watch });
    await deps.store.removeWatch(watch.operationId, watch.watchId);
    return;
  }
  // At advanceTo already: an earlier check moved the operation but did not get to publish.
  const resumed = context.advanceTo !== undefined && operation.step === context.advanceTo;
  if (!expectedSteps(context).includes(operation.step) && !resumed) {
    await audit(deps, operation, {
      stage: "watcher",
      action: `watch ${watch.watchId}`,
      outcome: "ignored-duplicate",
      eventId: causationId,
      details: { reason: "the operation moved on", step: operation.step, expected: context.atStep },
    });
    await deps.store.removeWatch(watch.operationId, watch.watchId);
    return;
  }
  result ??= await probeWatch(deps, watch, context, probes);

  if (result.state === "pending") {
    await recordBusy(deps, watch, now);
    return;
  }
  if (result.state === "failed") {
    await failOperation(
      deps,
      operation,
      stageOfStep[operation.step],
      result.error,
      causationId,
      result.hint || undefined,
    );
    await deps.store.removeWatch(watch.operationId, watch.watchId);
    deps.metrics.count(pipelineMetrics.watchesFailed, 1, { kind: watch.kind });
    return;
  }

  // The event is recorded as the operation's handoff in the same write that moves it (or, with no move,
  // before publishing), so the watcher publishes it again if it is lost (republish-handoffs.ts).
  const ready = readyEvent(deps, operation, context, result, causationId);
  let current: OperationInfo | undefined = operation;
  if (context.advanceTo && !resumed) {
    current = await advance(deps, operation, {
      to: context.advanceTo,
      eventId: causationId,
      action: `watch ${watch.watchId}`,
      ...(ready ? { handoff: handoffOf(deps, context.advanceTo, ready.contract, ready.detail) } : {}),
    });
  }
  // Without a transition to decide it, the watch's removal does: of two checks that both found the
  // resource ready (a tick and an RDS event), only the one that removes the watch publishes.
  // The handoff is recorded first, so an event lost after the removal is still published again.
  if (resumed) {
    // Another check moved the operation and recorded the event as its handoff in that same write: it
    // publishes it (or, had it died, the stalled handoff is published again). Only the watch is left.
    await deps.store.removeWatch(watch.operationId, watch.watchId);
    return;
  }
  if (current && !context.advanceTo) {
    if (ready) {
      const handoff = handoffOf(deps, current.step, ready.contract, ready.detail);
      const at = { step: current.step, version: current.version };
      if (await deps.store.recordHandoff(current.operationId, at, handoff)) current = { ...current, handoff };
    }
    if (!(await deps.store.removeWatch(watch.operationId, watch.watchId))) return;
  }
  if (current) {
    if (ready) {
      try {
        await handOff(deps, current, ready.contract, ready.detail);
      } catch (error) {
        // Removing the watch made this check the one that publishes: put it back, so the next check
        // publishes (a concurrent check that lost the removal may have rewritten the handoff, clearing the
        // mark of the failed publish that republish-handoffs.ts acts on).
        if (!context.advanceTo) await restoreWatch(deps, watch);
        throw error;
      }
    }
    await audit(deps, current, {
      stage: "watcher",
      action: `watch ${watch.watchId}`,
      outcome: "succeeded",
      eventId: causationId,
      details: { kind: watch.kind, resource: watch.resource, published: context.publish },
    });
    deps.metrics.count(pipelineMetrics.watchesCompleted, 1, { kind: watch.kind });
    if (watch.createdAt) {
      const waitedMs = deps.clock().getTime() - Date.parse(watch.createdAt);
      deps.metrics.durationMs(pipelineMetrics.watchWait, waitedMs, { kind: watch.kind });
    }
  }
  await deps.store.removeWatch(watch.operationId, watch.watchId);
}

/** Records a check that found the resource busy, and pushes the watch's next check back (doubling). */
async function recordBusy(deps: StageDeps, watch: PendingWatch, now: Date): Promise<void> {
  const next = nextCheckAfter(now, watch.checks ?? 0);
  await deps.store.touchWatch(watch.operationId, watch.watchId, now.toISOString(), next);
}

async function restoreWatch(deps: StageDeps, watch: PendingWatch): Promise<void> {
  await deps.store
    .addWatch({
      operationId: watch.operationId,
      watchId: watch.watchId,
      kind: watch.kind,
      accountId: watch.accountId,
      region: watch.region,
      ...(watch.roleArn ? { roleArn: watch.roleArn } : {}),
      resource: watch.resource,
      ...(watch.context ? { context: watch.context as Record<string, unknown> } : {}),
      createdAt: watch.createdAt ?? deps.clock().toISOString(),
      // Due at the next run: its event still has to be published.
      nextCheckAt: deps.clock().toISOString(),
    })
    .catch((error: unknown) => {
      deps.logger.error("Could not put back a watch whose event was not published", {
        operationId: watch.operationId,
        watchId: watch.watchId,
        message: errorMessageOf(error),
      });
    });
}

/**
 * Describes what the watch waits on, once per run for watches that name the same resource; an error waiting
 * cannot fix (access denied, a missing key) fails it.
 */
function probeWatch(
  deps: StageDeps,
  watch: PendingWatch,
  context: WatchContext,
  probes: Probes,
): Promise<ProbeResult> {
  const key = JSON.stringify([
    watch.accountId,
    watch.region,
    watch.roleArn,
    watch.kind,
    watch.resource,
    context.instances,
  ]);
  let result = probes.get(key);
  if (!result) {
    result = describeWatched(deps, watch, context);
    probes.set(key, result);
  }
  return result;
}

async function describeWatched(
  deps: StageDeps,
  watch: PendingWatch,
  context: WatchContext,
): Promise<ProbeResult> {
  const scope = {
    accountId: watch.accountId,
    region: watch.region,
    ...(watch.roleArn ? { roleArn: watch.roleArn } : {}),
  };
  try {
    return await probe(deps.rds(scope), scope, watch.kind, watch.resource, context);
  } catch (error) {
    if ((error as { retryable?: unknown }).retryable === true) throw error;
    return {
      state: "failed",
      error: error as Error,
      hint: `The watcher could not describe ${watch.resource}.`,
    };
  }
}
