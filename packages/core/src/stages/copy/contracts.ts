import { defineEvent } from "../../events/contract";
import { snapshotRef } from "../../events/shapes";

/**
 * The event that reports copy's work: the snapshot is in the target account and region (the watcher notices, or copy when nothing needed copying).
 * Declared beside the stage that owns them; events/domain.ts lists the whole catalogue.
 */

export const CopyCompleted = defineEvent({
  detailType: "CopyCompleted",
  version: 1,
  description:
    "The snapshot is available in the target account and region under the target's key (watcher, or copy when no copy was needed).",
  producers: ["watcher", "copy"],
  shape: { snapshot: snapshotRef },
});
