import * as z from "zod";
import { defineEvent } from "../../events/contract";
import { clusterIdentifier, nameText, planId } from "../../events/identifiers";
import { clusterRef, operationTrigger, snapshotRef, snapshotState } from "../../events/shapes";

/**
 * The events that start an operation: the request the trigger takes from a person or script, and the start it announces (the watcher's scheduled plans announce it the same way).
 * Declared beside the stage that owns them; events/domain.ts lists the whole catalogue.
 */

export const ManualRestoreRequested = defineEvent({
  detailType: "ManualRestoreRequested",
  version: 1,
  description:
    "A person or a script asked to refresh one target from the source snapshot of a given date (aurora-restore restore).",
  producers: ["cli"],
  shape: {
    targetClusterId: clusterIdentifier,
    sourceSnapshotDate: z.iso.date().describe("YYYY-MM-DD: the source snapshot taken that day (UTC) is used"),
    requestedBy: nameText().describe("Who asked (CLI user or principal)"),
  },
});

export const RestoreRequested = defineEvent({
  detailType: "RestoreRequested",
  version: 1,
  description: "An operation was started for one planned target from one source snapshot.",
  producers: ["trigger", "watcher"],
  shape: {
    planId,
    target: clusterRef,
    sourceSnapshot: snapshotRef.extend({ type: z.enum(["automated", "manual"]) }),
    sourceSnapshotState: snapshotState
      .optional()
      .describe(
        "What the producer found when it described or listed the snapshot (its kmsKeyId is then sourceSnapshot.kmsKeyId), so prepare need not describe it again; absent (an automated snapshot the trigger did not describe, an event from before): prepare describes it",
      ),
    trigger: operationTrigger,
    requestedBy: nameText(),
  },
});

export const RetryRequested = defineEvent({
  detailType: "RetryRequested",
  version: 1,
  description:
    "A person asked to run a failed operation again (aurora-restore operations retry): from the stage that failed, reusing what the plan kept, or from the start as a new operation.",
  producers: ["cli"],
  shape: {
    fromStart: z.boolean().describe("Start a new operation for the same snapshot and target instead"),
    requestedBy: nameText().describe("Who asked (CLI user or principal)"),
  },
});
