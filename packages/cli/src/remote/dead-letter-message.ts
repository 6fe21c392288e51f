import type { Message } from "@aws-sdk/client-sqs";

/** The original EventBridge event a dead-letter message carries (its content is untrusted). */
export interface DeadEvent {
  id?: string;
  source: string;
  detailType: string;
  time?: string;
  resources: string[];
  detail: unknown;
}

/**
 * One message of a stage's dead-letter queue, unwrapped. Three kinds arrive there (README, Operate):
 * - failed-invocation: Lambda's failure destination record after its retries (the event in requestPayload);
 * - rejected-event: the same record shape, sent at once by the handler for an invalid event
 *   (requestContext.condition RejectedEvent; rejected-events.ts in the functions);
 * - undelivered-event: EventBridge could not hand the event to the function (the body is the event, the
 *   reason in the ERROR_CODE / ERROR_MESSAGE attributes).
 */
export interface DeadLetter {
  /** The pipeline stage whose queue holds it. */
  queue: string;
  messageId: string;
  sentAt?: string;
  receiveCount?: number;
  kind: "failed-invocation" | "rejected-event" | "undelivered-event" | "unreadable";
  event?: DeadEvent;
  operationId?: string;
  error: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const text = (value: unknown) => (typeof value === "string" ? value : undefined);

/** An EventBridge event's envelope, or undefined when `value` is not one. */
function eventOf(value: unknown): DeadEvent | undefined {
  if (!isRecord(value)) return undefined;
  const source = text(value.source);
  const detailType = text(value["detail-type"]);
  if (!source || !detailType || !("detail" in value)) return undefined;
  const id = text(value.id);
  const time = text(value.time);
  const resources = Array.isArray(value.resources)
    ? value.resources.filter((r) => typeof r === "string")
    : [];
  return {
    ...(id ? { id } : {}),
    source,
    detailType,
    ...(time ? { time } : {}),
    resources,
    detail: value.detail,
  };
}

function lambdaError(record: Record<string, unknown>): string {
  const response = isRecord(record.responsePayload) ? record.responsePayload : {};
  const context = isRecord(record.requestContext) ? record.requestContext : {};
  const condition = text(context.condition);
  const attempts =
    typeof context.approximateInvokeCount === "number" ? context.approximateInvokeCount : undefined;
  const error = [text(response.errorType), text(response.errorMessage)].filter(Boolean).join(": ");
  const after =
    condition && condition !== "RejectedEvent"
      ? ` (${condition}${attempts ? `, ${attempts} attempts` : ""})`
      : "";
  return `${error || text(record.responsePayload) || "no error recorded"}${after}`;
}

function attribute(message: Message, name: string): string | undefined {
  return message.MessageAttributes?.[name]?.StringValue;
}

/** Reads one SQS message of `queue`'s dead-letter queue (see DeadLetter). Never throws. */
export function readDeadLetter(queue: string, message: Message): DeadLetter {
  const sent = Number(message.Attributes?.SentTimestamp);
  const received = Number(message.Attributes?.ApproximateReceiveCount);
  const base = {
    queue,
    messageId: message.MessageId ?? "(no id)",
    ...(Number.isFinite(sent) && sent > 0 ? { sentAt: new Date(sent).toISOString() } : {}),
    ...(Number.isFinite(received) && received > 0 ? { receiveCount: received } : {}),
  };
  let body: unknown;
  try {
    body = JSON.parse(message.Body ?? "");
  } catch {
    return { ...base, kind: "unreadable", error: "the message body is not JSON" };
  }
  const wrapped = isRecord(body) && "requestPayload" in body ? eventOf(body.requestPayload) : undefined;
  const event = wrapped ?? eventOf(body);
  if (!event || !isRecord(body)) {
    return { ...base, kind: "unreadable", error: "the message holds no EventBridge event" };
  }
  const operationId = isRecord(event.detail) ? text(event.detail.operationId) : undefined;
  const common = { ...base, event, ...(operationId ? { operationId } : {}) };
  if (wrapped) {
    const context = isRecord(body.requestContext) ? body.requestContext : {};
    const kind = context.condition === "RejectedEvent" ? "rejected-event" : "failed-invocation";
    return { ...common, kind, error: lambdaError(body) };
  }
  const code = attribute(message, "ERROR_CODE");
  const reason = attribute(message, "ERROR_MESSAGE");
  const attempts = attribute(message, "RETRY_ATTEMPTS");
  const error = [code, reason].filter(Boolean).join(": ") || "EventBridge could not deliver it";
  return { ...common, kind: "undelivered-event", error: attempts ? `${error} (${attempts} retries)` : error };
}
