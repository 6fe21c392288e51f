import type { AuditLog } from "@aurora-restore/core/storage/audit";
import type { OperationInfo, OperationStore } from "@aurora-restore/core/storage/operations";
import type { ParsedArgs } from "./commands/option-values";
import { existingStateDir } from "./commands/state-dir-option";
import { deployedStageOf } from "./remote/stage-address";

/**
 * The state and audit tables a read command works on: a local state folder's, or a deployed stage's
 * (--stage). The commands print both the same way.
 */
export interface StateReader {
  /** Where the state is, for messages: the state folder, or "stage 'dev' in eu-west-1". */
  where: string;
  /** What to suggest when there is no operation yet. */
  noOperationsHint: string;
  store: Pick<OperationStore, "get" | "listByStatus">;
  audit: Pick<AuditLog, "listByOperation" | "listWrittenSince">;
  close(): Promise<void>;
}

/** The local state folder's tables, or with --stage the deployed stage's (exit 2 for bad arguments). */
export async function openStateReader(parsed: ParsedArgs): Promise<StateReader> {
  const address = await deployedStageOf(parsed);
  if (address) {
    const { openDeployedStage } = await import("./remote/deployed-stage");
    return (await openDeployedStage(address)).state;
  }
  const { openLocalState } = await import("@aurora-restore/local/runtime/open-state");
  const state = await openLocalState({ stateDir: await existingStateDir(parsed) });
  return {
    where: state.stateDir,
    noOperationsHint: "Run 'npm start' to refresh the demo target.",
    store: state.store,
    audit: state.audit,
    close: () => state.close(),
  };
}

const statuses = ["running", "succeeded", "failed"] as const;

/** Operations with `status` (default: every status), newest first. */
export async function listOperations(
  store: Pick<OperationStore, "listByStatus">,
  status?: OperationInfo["status"],
): Promise<OperationInfo[]> {
  const groups = await Promise.all((status ? [status] : statuses).map((s) => store.listByStatus(s)));
  return groups.flat().sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export function isOperationStatus(text: string): text is OperationInfo["status"] {
  return (statuses as readonly string[]).includes(text);
}
