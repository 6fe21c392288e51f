import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "./condition-failure";
import { legacyWatchEntity } from "./watch-entity";

/**
 * Watch items written before watches moved onto the operation item (watch-entity.ts): only found and
 * removed, never written. See stages/watcher/legacy-watches.ts.
 */
export function createLegacyWatchStore(client: DynamoDBDocumentClient, table: string) {
  const watches = legacyWatchEntity(client, table);
  return {
    async legacyPendingWatches() {
      const { data } = await watches.query.pending({ state: "pending" }).go({ pages: "all" });
      return data;
    },

    async legacyWatchesOf(operationId: string) {
      const { data } = await watches.query.byOperation({ operationId }).go({ pages: "all" });
      return data;
    },

    /** Removes a watch item; false when it was already gone. */
    async removeLegacyWatch(operationId: string, watchId: string): Promise<boolean> {
      try {
        await watches
          .delete({ operationId, watchId })
          .where(({ state }, { exists }) => exists(state))
          .go();
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
  };
}

export type LegacyWatch = Awaited<
  ReturnType<ReturnType<typeof createLegacyWatchStore>["legacyPendingWatches"]>
>[number];
