import type { OperationInfo } from "@aurora-restore/core/storage/operations";

/**
 * An operation as the CLI shows it, without the pipeline's internal bookkeeping: which event claimed each
 * step (claims), the lease on its step, the outbox entry the watcher republishes (handoff) and the
 * optimistic-locking version. They say nothing about the refresh and change while it runs.
 */
export type OperationView = Omit<OperationInfo, "claims" | "lease" | "handoff" | "version">;

export function operationView(operation: OperationInfo): OperationView {
  const { claims: _claims, lease: _lease, handoff: _handoff, version: _version, ...shown } = operation;
  return shown;
}
