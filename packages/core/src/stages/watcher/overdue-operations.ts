import { stageOfStep } from "../../operation/steps";
import type { OperationInfo } from "../../storage/operations";
import type { StageDeps } from "../kit/deps";
import { failOperation } from "../kit/fail";
import { pipelineMetrics } from "../kit/metrics";
import { ResourceFailedError } from "./watch-probes";

const deadlineHints: Partial<Record<ReturnType<typeof stageOf>, string>> = {
  prepare: "Check the shareable copy in the source account's RDS console.",
  copy: "Cross-region copies can take hours and at most 5 run at once per region: raise targets[].deadlineMinutes in the plan or check the copy in the RDS console, then restore again.",
  restore: "Check the restored cluster and its instances in the RDS console, then restore again.",
  cutover:
    "Check the target's cluster names in the RDS console: cutover may have left the target renamed (see the audit trail).",
};

function stageOf(operation: OperationInfo) {
  return stageOfStep[operation.step];
}

/** Fails running operations past their deadline, naming the step they were stuck at. */
export async function failOverdueOperations(
  deps: StageDeps,
  causationId: string,
  running?: OperationInfo[],
): Promise<void> {
  const now = deps.clock().getTime();
  for (const operation of running ?? (await deps.store.listByStatus("running"))) {
    if (Date.parse(operation.deadline) > now) continue;
    const minutes = Math.round((Date.parse(operation.deadline) - Date.parse(operation.createdAt)) / 60_000);
    const stage = stageOf(operation);
    const error = new ResourceFailedError(
      "DeadlineExceeded",
      `Operation ${operation.operationId} is stuck past the plan's deadline (${minutes} minutes) at step ${operation.step}.`,
    );
    await failOperation(
      deps,
      operation,
      stage,
      error,
      causationId,
      deadlineHints[stage] ?? "See the audit trail, then restore again.",
    );
    deps.metrics.count(pipelineMetrics.overdue, 1, { stage });
  }
}
