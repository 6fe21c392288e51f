import type { PutEventsEntry } from "@aurora-restore/core/ports/events";
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { escapeControl, UsageError } from "../io";
import { awsCall } from "./aws-errors";
import type { DeployedStage } from "./deployed-stage";

/** What EventBridge made of one entry: its event id, or the entry's own error (FailedEntryCount > 0). */
export type PutOutcome = { eventId: string } | { errorCode: string; errorMessage: string };

/** Per-entry error codes EventBridge may clear by itself; the others need a change first. */
const retryableCodes = new Set(["InternalFailure", "ThrottlingException"]);

/**
 * Puts one entry on the stage's bus. A call EventBridge refuses as a whole is explained (explainAwsError);
 * an entry it refuses (HTTP 200 with FailedEntryCount 1) comes back as its ErrorCode and ErrorMessage.
 */
export async function putEntry(stage: DeployedStage, entry: PutEventsEntry): Promise<PutOutcome> {
  const out = await awsCall(
    stage.address,
    { action: "events:PutEvents", resource: `bus ${stage.names.bus}` },
    () => stage.clients.eventBridge.send(new PutEventsCommand({ Entries: [entry] })),
  );
  const result = out.Entries?.[0];
  if ((out.FailedEntryCount ?? 0) === 0 && result?.EventId && !result.ErrorCode) {
    return { eventId: result.EventId };
  }
  return {
    errorCode: result?.ErrorCode ?? "UnknownError",
    errorMessage: result?.ErrorMessage ?? "EventBridge returned no event id for the entry",
  };
}

/** An entry EventBridge refused, in words: what it said, and what to do. */
export function describeRefusal(stage: DeployedStage, refusal: { errorCode: string; errorMessage: string }) {
  const said = `${escapeControl(refusal.errorCode)}: ${escapeControl(refusal.errorMessage)}`;
  if (retryableCodes.has(refusal.errorCode)) {
    return `EventBridge did not take the event (${said}); nothing was published: run the command again`;
  }
  if (/AccessDenied|NotAuthorized/.test(refusal.errorCode)) {
    return `EventBridge refused the event (${said}): the credentials need events:PutEvents on bus ${stage.names.bus}`;
  }
  return `EventBridge refused the event (${said})`;
}

/** Puts one entry; a refused entry is an error (exit 1) that says why. Returns the event id. */
export async function publishOrFail(stage: DeployedStage, entry: PutEventsEntry): Promise<string> {
  const outcome = await putEntry(stage, entry);
  if ("eventId" in outcome) return outcome.eventId;
  throw new UsageError(describeRefusal(stage, outcome), 1);
}
