import type { LegacyWatch } from "../../storage/legacy-watch-store";
import type { StageDeps } from "../kit/deps";
import { errorCodeOf, errorMessageOf } from "../kit/errors";
import { expectedSteps, watchContextOf } from "../kit/watches";

/**
 * Watches used to be items of their own (storage/watch-entity.ts); now an operation's watch is an attribute
 * of its item. An operation in flight during the upgrade may still wait on such an item: the watcher moves
 * it onto its operation (or drops it when it waits for nothing any more), then the usual checks take it.
 * Until then, a delivery that finds its step claimed still sees it (kit/claim.ts, waitsOnWatch).
 *
 * Each watcher process looks for them when it starts and then every few minutes (an older function still
 * running during a deploy may write one more), never at every run: that would be a read per run for nothing.
 */
const sweepEveryMs = 10 * 60_000;
const lastSweeps = new WeakMap<object, number>();

export async function moveLegacyWatches(deps: StageDeps, causationId: string): Promise<void> {
  const now = deps.clock().getTime();
  const last = lastSweeps.get(deps.store);
  if (last !== undefined && now - last < sweepEveryMs) return;
  lastSweeps.set(deps.store, now);
  try {
    for (const legacy of await deps.store.legacyPendingWatches()) await moveLegacyWatch(deps, legacy);
  } catch (error) {
    lastSweeps.delete(deps.store);
    deps.logger.error("Could not move the watches of an earlier version onto their operations", {
      causationId,
      code: errorCodeOf(error),
      message: errorMessageOf(error),
    });
  }
}

async function moveLegacyWatch(deps: StageDeps, legacy: LegacyWatch): Promise<void> {
  const context = watchContextOf(legacy.context);
  for (let attempt = 0; attempt < 3; attempt++) {
    const operation = await deps.store.get(legacy.operationId);
    const waits =
      operation !== undefined &&
      context !== undefined &&
      operation.status === "running" &&
      expectedSteps(context).includes(operation.step) &&
      // Already moved (a crash before the item was removed): on the operation, or ended by the watcher.
      operation.watch === undefined &&
      !(operation.handoff?.step === operation.step && operation.handoff.watchId === legacy.watchId);
    if (waits) {
      const moved = await deps.store.startWatch(operation, {
        watchId: legacy.watchId,
        kind: legacy.kind,
        accountId: legacy.accountId,
        region: legacy.region,
        ...(legacy.roleArn ? { roleArn: legacy.roleArn } : {}),
        resource: legacy.resource,
        context: legacy.context as Record<string, unknown>,
        createdAt: legacy.createdAt,
      });
      // The operation changed between the read and the write: look again.
      if (!moved) continue;
      deps.logger.info("Moved a watch of an earlier version onto its operation", {
        operationId: legacy.operationId,
        watchId: legacy.watchId,
      });
    }
    await deps.store.removeLegacyWatch(legacy.operationId, legacy.watchId);
    return;
  }
}
