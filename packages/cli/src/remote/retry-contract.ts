import { defineEvent } from "@aurora-restore/core/events/contract";
import { nameText } from "@aurora-restore/core/events/identifiers";
import type { AuditEntryInfo } from "@aurora-restore/core/storage/audit";
import { z } from "zod";
import type { RequestAnswer } from "./follow-published";

// TODO(retry-contract): a placeholder for the RetryRequested contract being declared in core (on main).
// When it lands, delete this file and import the contract (and, if it has one, its answer reading) from
// core: `operations retry` uses nothing else of it. Its detail-type literal must then exist only in core.

/** An operator asks to run an operation again, from the step that failed or from the start. */
export const RetryRequested = defineEvent({
  detailType: "RetryRequested",
  version: 1,
  description:
    "An operator asked to run a failed or stuck operation again (aurora-restore operations retry).",
  producers: ["cli"],
  shape: {
    fromStart: z.boolean().describe("Run every stage again, instead of resuming at the step that failed"),
    requestedBy: nameText().describe("Who asked (CLI principal)"),
  },
});

/**
 * The pipeline's answer to retry event `eventId` in the operation's trail: a refusal (an entry for the
 * event with outcome rejected, its reason), else acceptance once any entry names the event.
 */
export function retryAnswerOf(trail: readonly AuditEntryInfo[], eventId: string): RequestAnswer | undefined {
  const answers = trail.filter((e) => e.eventId === eventId);
  const rejected = answers.filter((e) => e.outcome === "rejected");
  if (rejected.length > 0) {
    return { refused: rejected.map((e) => String(e.details?.reason ?? `${e.stage} ${e.action}`)) };
  }
  const first = answers[0];
  return first ? { accepted: `${first.stage} ${first.action}: ${first.outcome}; following it` } : undefined;
}
