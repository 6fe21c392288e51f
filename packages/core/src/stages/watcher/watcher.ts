import { type RdsEvent, rdsEventIds } from "../../events/rds";
import { stageOfStep } from "../../operation/steps";
import type { OperationInfo } from "../../storage/operations";
import type { PendingWatch } from "../../storage/pending-watch";
import { advance } from "../kit/advance";
import { audit } from "../kit/audit";
import type { StageDeps } from "../kit/deps";
import { errorCodeOf, errorMessageOf } from "../kit/errors";
import { failOperation } from "../kit/fail";
import { handOff, handoffOf } from "../kit/handoff";
import { pipelineMetrics } from "../kit/metrics";
import { type HandoffOptions, republishStalledHandoffs } from "../kit/republish-handoffs";
import { watchChecksOf } from "../kit/watch-schedule";
import { expectedSteps, type WatchContext, watchContextOf } from "../kit/watches";
import { announceExpiredKeptResources } from "./expired-kept-resources";
import { moveLegacyWatches } from "./legacy-watches";
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
  await moveLegacyWatches(deps, tick.id);
  const schedule = watchChecksOf(deps.store);
  await checkWatches(deps, tick.id, (watch, operation) => schedule.isDue(operation.operationId, watch, now));
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

/** What one run of checks described, so that it describes each resource once however many watches name it. */
type Probes = Map<string, Promise<ProbeResult>>;

/** An operation with the watch it waits on. */
type Waiting = OperationInfo & { watch: PendingWatch };

/**
 * Describes the pending watches `only` selects (default: all), from the operations the sparse index lists
 * (each with its watch: no read per watch); ends the wait of the ready ones, fails the operations of failed
 * ones. What a check finds busy is remembered in this process (watch-schedule.ts), never written.
 */
export async function checkWatches(
  deps: StageDeps,
  causationId: string,
  only: (watch: PendingWatch, operation: OperationInfo) => boolean = () => true,
): Promise<void> {
  const schedule = watchChecksOf(deps.store);
  const waiting = (await deps.store.waitingOnWatches()).filter(
    (operation): operation is Waiting => operation.watch !== undefined,
  );
  // The listing is every pending watch: the schedule forgets those that ended.
  schedule.keepOnly(waiting.map((o) => ({ operationId: o.operationId, watch: o.watch })));
  const probes: Probes = new Map();
  for (const operation of waiting) {
    const { watch } = operation;
    if (!only(watch, operation)) continue;
    // Another run of this process is checking it right now: that run decides.
    if (!schedule.begin(operation.operationId, watch)) continue;
    try {
      await checkWatch(deps, operation, causationId, probes);
    } catch (error) {
      // One unreadable resource must not stop the others; the next run tries it again, soon.
      deps.metrics.count(pipelineMetrics.watchErrors, 1, { kind: watch.kind });
      deps.logger.error("Could not check a watch", {
        operationId: operation.operationId,
        watchId: watch.watchId,
        code: errorCodeOf(error),
        message: errorMessageOf(error),
      });
      schedule.soon(operation.operationId, watch, deps.clock());
    } finally {
      schedule.end(operation.operationId, watch);
    }
  }
}

async function checkWatch(
  deps: StageDeps,
  operation: Waiting,
  causationId: string,
  probes: Probes,
): Promise<void> {
  const { watch } = operation;
  const action = `watch ${watch.watchId}`;
  const context = watchContextOf(watch.context);
  if (!context || !expectedSteps(context).includes(operation.step)) {
    // Transitions remove the watch they end, so this is a watch without context, or one an older version
    // left: it waits for nothing any more.
    await audit(deps, operation, {
      stage: "watcher",
      action,
      outcome: "ignored-duplicate",
      eventId: causationId,
      details: { reason: "the operation moved on", step: operation.step, expected: context?.atStep },
    });
    await deps.store.dropWatch(operation.operationId, watch.watchId);
    return;
  }
  const result = await probeWatch(deps, watch, context, probes);
  const schedule = watchChecksOf(deps.store);
  if (result.state === "pending") {
    schedule.busy(operation.operationId, watch, deps.clock());
    return;
  }
  if (result.state === "failed") {
    // The failure's transition removes the watch.
    await failOperation(
      deps,
      operation,
      stageOfStep[operation.step],
      result.error,
      causationId,
      result.hint || undefined,
    );
    deps.metrics.count(pipelineMetrics.watchesFailed, 1, { kind: watch.kind });
    return;
  }

  // One conditional write ends the wait and records the event as the operation's handoff (so the watcher
  // publishes it again if it is lost, republish-handoffs.ts): the transition to `advanceTo`, or, with no
  // transition, the watch's removal. Of two checks that both found the resource ready (a tick and an RDS
  // event in two processes), only the one whose write succeeds publishes.
  const ready = readyEvent(deps, operation, context, result, causationId);
  const current = context.advanceTo
    ? await advance(deps, operation, {
        to: context.advanceTo,
        eventId: causationId,
        action,
        ...(ready
          ? { handoff: handoffOf(deps, context.advanceTo, ready.contract, ready.detail, operation) }
          : {}),
      })
    : await deps.store.completeWatch(
        operation,
        watch.watchId,
        ready && {
          ...handoffOf(deps, operation.step, ready.contract, ready.detail, operation),
          watchId: watch.watchId,
        },
      );
  if (!current) return;
  // A failed publish is marked on the handoff: the next tick publishes it (republish-handoffs.ts).
  if (ready) await handOff(deps, current, ready.contract, ready.detail);
  await audit(deps, current, {
    stage: "watcher",
    action,
    outcome: "succeeded",
    eventId: causationId,
    details: { kind: watch.kind, resource: watch.resource, published: context.publish },
  });
  deps.metrics.count(pipelineMetrics.watchesCompleted, 1, { kind: watch.kind });
  deps.metrics.durationMs(pipelineMetrics.watchWait, deps.clock().getTime() - Date.parse(watch.createdAt), {
    kind: watch.kind,
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
