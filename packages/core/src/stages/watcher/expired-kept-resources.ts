import { KeptResourcesExpired } from "../../events/domain";
import type { StageDeps } from "../kit/deps";
import { metaFor, publish } from "../kit/publish";

/**
 * Tells cleanup about failed operations whose kept resources (retention.keepFailedResourcesHours) have
 * expired. Published each tick until cleanup has deleted them and cleared the record: a lost event costs
 * one tick, and cleanup ignores the copies.
 */
export async function announceExpiredKeptResources(deps: StageDeps, causationId: string): Promise<string[]> {
  const now = deps.clock().toISOString();
  const expired = (await deps.store.listByStatus("failed")).filter((o) => o.kept && o.kept.until <= now);
  for (const operation of expired) {
    await publish(deps, KeptResourcesExpired, { ...metaFor(deps, operation, causationId) });
  }
  return expired.map((o) => o.operationId);
}
