import { UsageError } from "../io";
import { type ParsedArgs, requiredFlag, stringFlag } from "./option-values";

/** The request's field names (target_cluster_id...) as the flags a CLI user typed (--target-cluster-id...). */
export function flagNames(message: string): string {
  return message.replace(
    /\b(target_cluster_id|source_snapshot_date|operation_id)\b/g,
    (field) => `--${field.replaceAll("_", "-")}`,
  );
}

export interface RestoreRequest {
  targetClusterId: string;
  sourceSnapshotDate: string;
  operationId?: string;
}

/**
 * The restore request `restore` was given, checked by the trigger's own validation (it runs again on the
 * event) before anything starts or is published: exit 2 naming each flag to fix.
 */
export async function restoreRequestOf(parsed: ParsedArgs): Promise<RestoreRequest> {
  const { ManualRequestError, parseManualRequest } = await import("@aurora-restore/core/stages/trigger");
  const targetClusterId = requiredFlag(parsed, "target-cluster-id", "the target cluster to refresh");
  const sourceSnapshotDate = requiredFlag(parsed, "source-snapshot-date", "YYYY-MM-DD");
  const operationId = stringFlag(parsed, "operation-id");
  try {
    parseManualRequest({ targetClusterId, sourceSnapshotDate, operationId }, new Date());
  } catch (error) {
    if (error instanceof ManualRequestError) throw new UsageError(flagNames(error.message));
    throw error;
  }
  return { targetClusterId, sourceSnapshotDate, ...(operationId === undefined ? {} : { operationId }) };
}
