import type { OperationInfo } from "@aurora-restore/core/storage/operations";

/**
 * An operation as the CLI shows it, without the pipeline's internal bookkeeping: which event claimed each
 * step (claims), the lease on its step, the outbox entry the watcher republishes (handoff), the
 * optimistic-locking version and the key of the index of waiting operations (waiting). They say nothing about
 * the refresh and change while it runs. What it waits on in AWS (`watch`: the copy, cluster or rename and
 * since when) is shown.
 */
export type OperationView = Omit<OperationInfo, "claims" | "lease" | "handoff" | "version" | "waiting">;

export function operationView(operation: OperationInfo): OperationView {
  const {
    claims: _claims,
    lease: _lease,
    handoff: _handoff,
    version: _version,
    waiting: _waiting,
    ...shown
  } = operation;
  return shown;
}
