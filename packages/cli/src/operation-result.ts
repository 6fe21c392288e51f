import type { AuditEntryInfo } from "@aurora-restore/core/storage/audit";
import type { OperationInfo } from "@aurora-restore/core/storage/operations";
import { stageTimings } from "@aurora-restore/local/runtime/operation-progress";
import type { CliIo } from "./io";

/**
 * How `restore` (and `operations retry`) end once the operation they followed has ended, locally or on a
 * deployed stage: one line, or with --json one object; `where` adds the state folder or the stage. Returns
 * the exit status: 0 succeeded, 1 failed.
 */
export function writeOperationResult(
  io: CliIo,
  json: boolean,
  final: OperationInfo,
  trail: readonly AuditEntryInfo[],
  where: Record<string, unknown>,
): number {
  if (json) {
    const summary = {
      operationId: final.operationId,
      status: final.status,
      stages: stageTimings(final, trail),
      target: {
        clusterId: final.target.clusterIdentifier,
        accountId: final.target.accountId,
        region: final.target.region,
      },
      ...(final.error ? { error: final.error } : {}),
      ...where,
    };
    io.stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    const error = final.error ? ` in ${final.error.stage}: ${final.error.code}: ${final.error.message}` : "";
    io.stdout.write(`${final.operationId}: ${final.status}${error}\n`);
  }
  return final.status === "succeeded" ? 0 : 1;
}
