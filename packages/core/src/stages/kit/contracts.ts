import { defineEvent } from "../../events/contract";
import { messageText, nameText, planId } from "../../events/identifiers";
import { clusterRef, stageName } from "../../events/shapes";

/**
 * The event every stage publishes when it fails the operation (failOperation, fail.ts).
 * Declared beside the stage that owns them; events/domain.ts lists the whole catalogue.
 */

export const RestoreFailed = defineEvent({
  detailType: "RestoreFailed",
  version: 1,
  description: "The operation ended in failure; the target is unchanged (cutover renames back on failure).",
  producers: ["trigger", "prepare", "copy", "restore", "configure", "verify", "cutover", "watcher"],
  shape: {
    planId,
    target: clusterRef,
    stage: stageName,
    errorCode: nameText().describe("AWS error name, SQLSTATE or the pipeline's own code"),
    message: messageText().describe("What went wrong and what to do about it"),
  },
});
