import type { OperationInfo } from "@aurora-restore/core/storage/operations";

/**
 * The outputs that record which event claimed each step (core's claimKey, `claimedBy:<step>`). Written here
 * rather than imported: core/stages is being reorganised, and a test below fails if the format drifts.
 */
export const claimMarkerPrefix = "claimedBy:";

/**
 * An operation as the CLI shows it, without the pipeline's internal bookkeeping: the claim markers among
 * its outputs, the lease on its step, the outbox entry the watcher republishes (handoff) and the
 * optimistic-locking version. They say nothing about the refresh and change while it runs.
 */
export type OperationView = Omit<OperationInfo, "lease" | "handoff" | "version">;

export function operationView(operation: OperationInfo): OperationView {
  const { lease: _lease, handoff: _handoff, version: _version, ...shown } = operation;
  const outputs = Object.fromEntries(
    Object.entries(operation.outputs).filter(([key]) => !key.startsWith(claimMarkerPrefix)),
  );
  return { ...shown, outputs };
}
