import { type AuditLog, createAuditLog } from "@aurora-restore/core/storage/audit";
import {
  createOperationStore,
  type OperationInfo,
  type OperationStore,
} from "@aurora-restore/core/storage/operations";
import { resolveStateDir } from "../state-dir";
import { startLocalDynamo } from "./local-dynamo";

export interface LocalState {
  stateDir: string;
  store: OperationStore;
  audit: AuditLog;
  close(): Promise<void>;
}

/** Just the state and audit tables of a state folder, for commands that read them (no servers started). */
export async function openLocalState(options: { stateDir?: string } = {}): Promise<LocalState> {
  const stateDir = resolveStateDir({ stateDir: options.stateDir });
  const dynamo = await startLocalDynamo({ stateDir });
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
