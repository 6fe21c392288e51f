import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "./condition-failure";
import { targetLockEntity } from "./lock-entity";

export class TargetBusyError extends Error {
  override name = "TargetBusyError";
  constructor(
    readonly targetKey: string,
    readonly activeOperationId: string,
  ) {
    super(
      `Target ${targetKey} already has an active operation (${activeOperationId}); wait for it to finish ('aurora-restore operations show ${activeOperationId}' shows where it stands); the watcher fails it once it passes the plan's deadline`,
    );
  }
}

/** Per-target locks in the state table (part of the operation store). */
export function createLockStore(client: DynamoDBDocumentClient, table: string) {
  const locks = targetLockEntity(client, table);
  return {
    /** Takes the target's lock for this operation; the same operation taking it again is fine. */
    async acquireLock(targetKey: string, operationId: string, at: string): Promise<void> {
      try {
        await locks.create({ targetKey, operationId, acquiredAt: at }).go();
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const { data } = await locks.get({ targetKey }).go();
        if (data && data.operationId !== operationId) throw new TargetBusyError(targetKey, data.operationId);
      }
    },

    /** Releases the lock only if this operation holds it. */
    async releaseLock(targetKey: string, operationId: string): Promise<void> {
      try {
        await locks
          .delete({ targetKey })
          .where(({ operationId: holder }, { eq }) => eq(holder, operationId))
          .go();
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },

    async lockHolder(targetKey: string): Promise<string | undefined> {
      const { data } = await locks.get({ targetKey }).go();
      return data?.operationId;
    },
  };
}
