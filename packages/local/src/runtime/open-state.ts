import { type AuditLog, createAuditLog } from "@aurora-restore/core/storage/audit";
import {
  createOperationStore,
  type OperationInfo,
  type OperationStore,
} from "@aurora-restore/core/storage/operations";
import { requireExistingStateDir, resolveStateDir } from "../state-dir";
import { openLocalDynamoForReading } from "./local-dynamo";

export interface LocalState {
  stateDir: string;
  store: OperationStore;
  audit: AuditLog;
  close(): Promise<void>;
}

/**
 * Just the state and audit tables of a state folder, for commands that read them (no servers started). The
 * folder must exist (StateDirError otherwise; nothing is created); while a runtime holds it, its tables are
 * read through that runtime (StateFolderBusyError if they cannot be).
 */
export async function openLocalState(options: { stateDir?: string } = {}): Promise<LocalState> {
  const stateDir = resolveStateDir({ stateDir: options.stateDir });
  await requireExistingStateDir(stateDir);
  const dynamo = await openLocalDynamoForReading({ stateDir });
  return {
    stateDir,
    store: createOperationStore(dynamo.client, dynamo.tables.state),
    audit: createAuditLog(dynamo.client, dynamo.tables.audit),
    close: () => dynamo.stop(),
  };
}

/** Every operation, newest first. */
export async function listAllOperations(store: OperationStore): Promise<OperationInfo[]> {
  const groups = await Promise.all(
    (["running", "succeeded", "failed"] as const).map((status) => store.listByStatus(status)),
  );
  return groups.flat().sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
