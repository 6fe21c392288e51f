import type { OperationInfo } from "../../storage/operations";

/**
 * A retried operation is the same operation run again (`operations retry`): its once-only effects (the
 * notification, the cleanup) and the credentials it stages are new ones for each run, so nothing the failed
 * run did or finished is mistaken for this run's. The first run keeps the plain names.
 */
export function effectOfRun(operation: Pick<OperationInfo, "retries">, effect: string): string {
  return operation.retries ? `${effect}#retry-${operation.retries}` : effect;
}

/** The key a run's deterministic ids (secret versions) derive from: the operation id, plus the retry. */
export function runKeyOf(operation: Pick<OperationInfo, "operationId" | "retries">): string {
  return operation.retries ? `${operation.operationId}#retry-${operation.retries}` : operation.operationId;
}
