import type { StageName } from "../../events/shapes";
import { targetKeyOf } from "../../operation/ids";
import type { OperationInfo } from "../../storage/operations";
import { advance } from "./advance";
import { audit } from "./audit";
import { RestoreFailed } from "./contracts";
import type { StageDeps } from "./deps";
import { errorCodeOf, errorMessageOf } from "./errors";
import { handOff, handoffOf } from "./handoff";
import { pipelineMetrics } from "./metrics";
import { metaFor } from "./publish";

/**
 * Ends the operation as failed (stage, error name, actionable message), audits it, releases the target
 * lock and publishes RestoreFailed. Safe to call twice: the second call finds the operation ended.
 */
export async function failOperation(
  deps: StageDeps,
  operation: OperationInfo,
  stage: StageName,
  error: unknown,
  eventId: string,
  hint?: string,
): Promise<void> {
  const code = errorCodeOf(error).slice(0, 128);
  // Bounded as the events bound it: an AWS or SQL error can be long, and RestoreFailed must still publish.
  const full = hint ? `${errorMessageOf(error)} ${hint}` : errorMessageOf(error);
  const message = full.length > 4_000 ? `${full.slice(0, 4_000)}…` : full;
  const failed = {
    ...metaFor(deps, operation, eventId),
    planId: operation.planId,
    target: operation.target,
    stage,
    errorCode: code,
    message,
  };
  const moved = await advance(deps, operation, {
    to: "failed",
    error: { stage, code, message },
    eventId,
    action: "fail-operation",
    // The outbox entry of RestoreFailed: notify and cleanup still get it if this process dies before publishing.
    handoff: handoffOf(deps, "failed", RestoreFailed, failed, operation),
  });
  if (!moved) return;
  await audit(deps, operation, {
    stage,
    action: "fail-operation",
    outcome: "failed",
    eventId,
    details: { code, message },
  });
  deps.metrics.count(pipelineMetrics.failed, 1, { stage });
  deps.logger.error("Operation failed", { operationId: operation.operationId, stage, code, message });
  // Release first: if the publish fails, a redelivery finds the operation ended and must not leave the
  // target locked forever.
  await deps.store.releaseLock(targetKeyOf(operation.target), operation.operationId);
  // Through the recorded handoff: a failed publish is marked, so the bus's retry publishes it again.
  await handOff(deps, moved, RestoreFailed, failed);
}
