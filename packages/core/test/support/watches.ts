import type { OperationStore } from "../../src/storage/operations";
import type { PendingWatch } from "../../src/storage/pending-watch";

/** The watch an operation waits on, as a list (empty when it waits on none). */
export async function watchesOf(store: OperationStore, operationId: string): Promise<PendingWatch[]> {
  const watch = (await store.get(operationId))?.watch;
  return watch ? [watch] : [];
}
