import { type StageName, stagesInFlowOrder } from "@aurora-restore/core/events/shapes";
import type { AuditEntryInfo } from "@aurora-restore/core/storage/audit";
import type { OperationInfo, OperationStore } from "@aurora-restore/core/storage/operations";

export interface StageTiming {
  name: StageName;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
}

/** The order stages run in, for reports (the operation's stageTimes is a map). */
export const stageOrder = stagesInFlowOrder;

/**
 * Stages of the flow after the one that failed: the move to `failed` records a time under the stage of that
 * step (cutover) although it never ran, so a report would show it done.
 */
function ranAfterFailure(operation: OperationInfo, stage: StageName): boolean {
  const failed = operation.status === "failed" ? operation.error?.stage : undefined;
  return failed !== undefined && stageOrder.indexOf(stage) > stageOrder.indexOf(failed);
}

/**
 * Stage timings of an operation: the state's stageTimes for the stages that move the operation (not the
 * ones after a failure, which did not run), and the audit trail's first and last entry for the stages that
 * run after it ended (notify, cleanup).
 */
export function stageTimings(
  operation: OperationInfo,
  auditTrail: readonly AuditEntryInfo[] = [],
): StageTiming[] {
  const times: Partial<Record<StageName, { startedAt: string; endedAt?: string }>> = Object.fromEntries(
    Object.entries(operation.stageTimes).filter(([stage]) => !ranAfterFailure(operation, stage as StageName)),
  );
  for (const stage of ["notify", "cleanup"] as const) {
    const entries = auditTrail
      .filter((e) => e.stage === stage)
      .map((e) => e.at)
      .sort();
    if (!times[stage] && entries.length > 0) {
      times[stage] = { startedAt: entries[0]!, endedAt: entries[entries.length - 1]! };
    }
  }
  return stageOrder.flatMap((name) => {
    const time = times[name];
    if (!time) return [];
    const durationMs = time.endedAt ? Date.parse(time.endedAt) - Date.parse(time.startedAt) : undefined;
    return [{ name, ...time, ...(durationMs === undefined ? {} : { durationMs }) }];
  });
}

export interface ProgressEvent {
  kind: "stage-started" | "stage-ended";
  stage: StageName;
  at: string;
  durationMs?: number;
  step: OperationInfo["step"];
  /** On stage-ended: the operation failed in this stage (shown ✗, never ✓). */
  failed?: boolean;
}

export interface WaitOptions {
  onProgress?(event: ProgressEvent): void;
  /** Give up after this long (ms); the error says where the operation stood. */
  timeoutMs?: number;
  pollMs?: number;
  sleep?(ms: number): Promise<void>;
  now?(): number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls the operation until it ends, reporting stage starts and ends as they appear. */
export async function waitForOperation(
  store: Pick<OperationStore, "get">,
  operationId: string,
  options: WaitOptions = {},
): Promise<OperationInfo> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const deadline = now() + (options.timeoutMs ?? 15 * 60_000);
  const seen = new Set<string>();
  let last: OperationInfo | undefined;
  for (;;) {
    last = (await store.get(operationId)) ?? last;
    if (last) {
      for (const timing of stageTimings(last)) {
        if (!seen.has(`${timing.name}:start`)) {
          seen.add(`${timing.name}:start`);
          options.onProgress?.({
            kind: "stage-started",
            stage: timing.name,
            at: timing.startedAt,
            step: last.step,
          });
        }
        if (timing.endedAt && !seen.has(`${timing.name}:end`)) {
          seen.add(`${timing.name}:end`);
          options.onProgress?.({
            kind: "stage-ended",
            stage: timing.name,
            at: timing.endedAt,
            ...(timing.durationMs === undefined ? {} : { durationMs: timing.durationMs }),
            step: last.step,
            ...(last.status === "failed" && last.error?.stage === timing.name ? { failed: true } : {}),
          });
        }
      }
      if (last.status !== "running") return last;
    }
    if (now() > deadline) {
      const where = last ? `it is still at step ${last.step}` : "it was never created (did the trigger run?)";
      throw new Error(
        `Operation ${operationId} did not end in time: ${where}. See 'aurora-restore operations show ${operationId}' and 'aurora-restore local dlq list'.`,
      );
    }
    await sleep(options.pollMs ?? 200);
  }
}
