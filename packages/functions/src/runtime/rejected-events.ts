import { createSqsSender } from "@aurora-restore/aws/aws-sqs";
import { PIPELINE_SOURCE } from "@aurora-restore/core/events/names";
import { printable } from "@aurora-restore/core/events/printable";
import type { StageName } from "@aurora-restore/core/events/shapes";
import { isOperationId } from "@aurora-restore/core/operation/ids";
import { sanitize } from "@aurora-restore/core/security/secret-names";
import type { StageDeps } from "@aurora-restore/core/stages/kit/deps";
import type { OperationInfo } from "@aurora-restore/core/storage/operations";
import { environmentNames } from "@aurora-restore/core/wiring/environment-names";

/**
 * What becomes of an event a stage rejects: the operation whose audit trail it is written to (if any), the
 * record the dead-letter queue keeps, and the helpers that describe it safely (its content is untrusted).
 */

/** A stage's dead-letter queue, as the Lambda entry point uses it for the events it rejects. */
export interface DeadLetterQueue {
  send(body: string): Promise<void>;
}

/** The dead-letter queue URL every function is deployed with (the stacks set it to its stage's queue). */
export function sqsDeadLetterQueue(env: Record<string, string | undefined>): DeadLetterQueue {
  const queueUrl = env[environmentNames.deadLetterQueueUrl]?.trim();
  if (!queueUrl) {
    throw new Error(
      `${environmentNames.deadLetterQueueUrl} is not set: set it to the stage's dead-letter queue URL`,
    );
  }
  const sender = createSqsSender({ queueUrl });
  return {
    send: async (body) => {
      await sender.sendMessage(body);
    },
  };
}

/**
 * A rejected event as the dead-letter queue keeps it: the shape Lambda gives the invocations it sends to a
 * failure destination (the event in `requestPayload`), so one procedure reads both (README, Operate).
 */
export function rejectedEventRecord(stage: StageName, event: unknown, error: Error, at: Date) {
  return {
    version: "1.0",
    timestamp: at.toISOString(),
    // `service` is the record's key operators read (README, Operate): kept as it is on the wire.
    requestContext: { condition: "RejectedEvent", service: stage, approximateInvokeCount: 1 },
    requestPayload: event,
    responseContext: { functionError: "Unhandled" },
    responsePayload: { errorType: error.name, errorMessage: error.message },
  };
}

export function describeParseError(error: unknown): string {
  const issues = (error as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
  if (Array.isArray(issues) && issues.length > 0) {
    return issues
      .slice(0, 5)
      .map(
        (i) => `${i.path.map((p) => printable(p, 64)).join(".") || "(event)"}: ${printable(i.message, 300)}`,
      )
      .join("; ");
  }
  return printable(error instanceof Error ? error.message : error, 1_000);
}

export function claimedOperationId(detail: unknown): string | undefined {
  const value = isRecord(detail) ? detail.operationId : undefined;
  return value === undefined ? undefined : printable(value, 80);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The operation whose audit trail a rejected event may be written to, or why none. An event that fails
 * validation is untrusted: it goes into a trail only when it is a pipeline event naming an operation that
 * exists, with that operation's correlation id, and nothing in it (target, cluster account and region,
 * plan, target cluster of a manual request) contradicts the operation. Anything else (no or malformed
 * operation id, an operation that does not exist, another operation's trail) is logged and counted only:
 * a forged event must not be able to write into a real operation's trail, nor make new partitions in the
 * audit table.
 */
export async function rejectionOwner(
  deps: StageDeps,
  source: string,
  detail: unknown,
): Promise<{ operation: OperationInfo } | { notAudited: string }> {
  if (source !== PIPELINE_SOURCE) return { notAudited: "not a pipeline event" };
  if (!isRecord(detail)) return { notAudited: "no detail" };
  if (detail.operationId === undefined) return { notAudited: "names no operation" };
  if (!isOperationId(detail.operationId)) return { notAudited: "the operation id is malformed" };
  let operation: OperationInfo | undefined;
  try {
    operation = await deps.store.get(detail.operationId);
  } catch (error) {
    deps.logger.error("Could not look up the operation a rejected event names", { error: sanitize(error) });
    return { notAudited: "the operation could not be looked up" };
  }
  if (!operation) return { notAudited: "no such operation" };
  if (detail.correlationId !== operation.correlationId) {
    return { notAudited: "its correlation id is not the operation's" };
  }
  // Compared field by field with ===: nothing of the untrusted detail is converted to a string.
  const target = operation.target;
  const sameLocation = (ref: unknown) =>
    isRecord(ref) && ref.accountId === target.accountId && ref.region === target.region;
  const sameTarget = (ref: unknown) =>
    sameLocation(ref) && isRecord(ref) && ref.clusterIdentifier === target.clusterIdentifier;
  if ("target" in detail && !sameTarget(detail.target)) {
    return { notAudited: "its target is not the operation's" };
  }
  if ("cluster" in detail && !sameLocation(detail.cluster)) {
    return { notAudited: "its cluster is not in the operation's target account and region" };
  }
  if ("planId" in detail && detail.planId !== operation.planId) {
    return { notAudited: "its plan is not the operation's" };
  }
  if ("targetClusterId" in detail && detail.targetClusterId !== target.clusterIdentifier) {
    return { notAudited: "its target cluster is not the operation's" };
  }
  return { operation };
}

export async function auditRejection(
  deps: StageDeps,
  stage: StageName,
  operation: OperationInfo,
  eventId: string,
  detailType: string,
  reason: string,
  logger: StageDeps["logger"],
): Promise<void> {
  try {
    const compliance =
      operation.compliance ??
      (await deps.plans.get(operation.planId).then(
        (plan) => plan.compliance,
        () => undefined,
      )) ??
      "default";
    await deps.audit.append(
      {
        operationId: operation.operationId,
        targetKey: operation.targetKey,
        stage,
        action: `receive ${printable(detailType, 128)}`,
        actor: deps.actor,
        outcome: "rejected",
        eventId: printable(eventId, 128),
        details: { reason },
      },
      { at: deps.clock().toISOString(), compliance },
    );
  } catch (error) {
    // The rejection itself is what matters; a failed audit write is logged, not allowed to mask it.
    logger.error("Could not audit a rejected event", {
      operationId: operation.operationId,
      error: sanitize(error),
    });
  }
}
