import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "./condition-failure";
import { type WatchKind, watchEntity } from "./watch-entity";

/** Watches (things an operation waits for) in the state table (part of the operation store). */
export function createWatchStore(client: DynamoDBDocumentClient, table: string) {
  const watches = watchEntity(client, table);
  return {
    /** Registers something to wait for; idempotent per (operation, watchId). */
    async addWatch(watch: {
      operationId: string;
      watchId: string;
      kind: WatchKind;
      accountId: string;
      region: string;
      roleArn?: string;
      resource: string;
      context?: Record<string, unknown>;
      createdAt: string;
      nextCheckAt?: string;
    }): Promise<void> {
      try {
        await watches.create({ ...watch, state: "pending" }).go();
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },

    async pendingWatches() {
      const { data } = await watches.query.pending({ state: "pending" }).go({ pages: "all" });
      return data;
    },

    async watchesOf(operationId: string) {
      const { data } = await watches.query.byOperation({ operationId }).go({ pages: "all" });
      return data;
    },

    /**
     * Records a check that found the resource still busy, and when to check next; false when the watch is
     * gone (a concurrent check completed it).
     */
    async touchWatch(
      operationId: string,
      watchId: string,
      at: string,
      nextCheckAt?: string,
    ): Promise<boolean> {
      try {
        await watches
          .patch({ operationId, watchId })
          .add({ checks: 1 })
          .set({ lastCheckedAt: at, ...(nextCheckAt ? { nextCheckAt } : {}) })
          .go();
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    /** Moves a watch's next check (e.g. sooner, after a check that failed); false when the watch is gone. */
    async rescheduleWatch(operationId: string, watchId: string, nextCheckAt: string): Promise<boolean> {
      try {
        await watches.patch({ operationId, watchId }).set({ nextCheckAt }).go();
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    /** Removes a watch; false when it was already gone (another check completed it first). */
    async removeWatch(operationId: string, watchId: string): Promise<boolean> {
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
