import { domainEvents } from "@aurora-restore/core/events/domain";
import { PIPELINE_SOURCE } from "@aurora-restore/core/events/names";
import type { PutEventsEntry } from "@aurora-restore/core/ports/events";
import type { Message } from "@aws-sdk/client-sqs";
import type { DeadLetter } from "./dead-letter-message";
import { type DeadLetterQueue, deleteMessage } from "./dead-letter-queues";
import type { DeployedStage } from "./deployed-stage";
import { describeRefusal, putEntry } from "./publish";

/** What became of one dead letter a redrive was asked for. */
export type RedriveOutcome =
  | { messageId: string; result: "redriven"; eventId: string }
  /** Published, but still in the queue: a later redrive would publish it twice. */
  | { messageId: string; result: "published-not-deleted"; eventId: string; reason: string }
  /** Not published (refused, or not an event the pipeline bus takes); kept in the queue. */
  | { messageId: string; result: "kept"; reason: string };

/** Why an event cannot go back on the pipeline bus, or undefined when it can. */
function unpublishable(letter: DeadLetter): string | undefined {
  const event = letter.event;
  if (!event) return `${letter.error}: nothing to publish`;
  if (event.source.startsWith("aws.")) {
    // PutEvents refuses aws.* sources: only AWS services emit them.
    return `an ${event.source} event (${event.detailType}) cannot be published again (EventBridge keeps aws.* sources to AWS); the watcher reconciles what it would have started`;
  }
  if (event.source !== PIPELINE_SOURCE)
    return `source ${event.source} is not the pipeline's (${PIPELINE_SOURCE})`;
  if (typeof event.detail !== "object" || event.detail === null || Array.isArray(event.detail)) {
    return "its detail is not a JSON object";
  }
  const contract = domainEvents.find((c) => c.detailType === event.detailType);
  const checked = contract?.schema.safeParse(event.detail);
  if (checked && !checked.success) {
    return `its detail does not match the ${event.detailType} contract (${checked.error.issues[0]?.path.join(".")}: ${checked.error.issues[0]?.message}); it would be rejected again`;
  }
  return undefined;
}

/** The dead event as a new PutEvents entry on the stage's bus (EventBridge gives it a new id and time). */
function entryOf(stage: DeployedStage, letter: DeadLetter): PutEventsEntry {
  const event = letter.event!;
  return {
    Source: event.source,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    Resources: event.resources,
    EventBusName: stage.names.bus,
  };
}

/**
 * Publishes one dead letter's event again on the stage's bus, then deletes the message: only after the
 * put succeeded, so a refused or failed put leaves it in the queue. The stages are idempotent, so an event
 * whose work was done meanwhile is audited as a duplicate and changes nothing.
 */
export async function redriveOne(
  stage: DeployedStage,
  queue: DeadLetterQueue,
  message: Message,
  letter: DeadLetter,
): Promise<RedriveOutcome> {
  const { messageId } = letter;
  const refusal = unpublishable(letter);
  if (refusal) return { messageId, result: "kept", reason: refusal };
  let put: Awaited<ReturnType<typeof putEntry>>;
  try {
    put = await putEntry(stage, entryOf(stage, letter));
  } catch (error) {
    return { messageId, result: "kept", reason: (error as Error).message };
  }
  if (!("eventId" in put)) return { messageId, result: "kept", reason: describeRefusal(stage, put) };
  try {
    await deleteMessage(stage, queue, message);
  } catch (error) {
    return {
      messageId,
      result: "published-not-deleted",
      eventId: put.eventId,
      reason: `${(error as Error).message}; delete it by hand, or a later redrive publishes it again`,
    };
  }
  return { messageId, result: "redriven", eventId: put.eventId };
}
