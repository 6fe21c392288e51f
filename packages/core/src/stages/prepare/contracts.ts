import * as z from "zod";
import { defineEvent } from "../../events/contract";
import { accountId, textLimits } from "../../events/identifiers";
import { snapshotRef } from "../../events/shapes";

/**
 * The events that report prepare's work: its shareable copy is ready (the watcher notices), the snapshot is usable by the target account.
 * Declared beside the stage that owns them; events/domain.ts lists the whole catalogue.
 */

export const SourceSnapshotCopied = defineEvent({
  detailType: "SourceSnapshotCopied",
  version: 1,
  description:
    "The shareable manual copy prepare made in the source account is available (found by the watcher: RDS emits no copy event).",
  producers: ["watcher"],
  shape: { snapshot: snapshotRef },
});

export const SnapshotAvailable = defineEvent({
  detailType: "SnapshotAvailable",
  version: 1,
  description:
    "A snapshot the target account can use is available: shared with it, already its own, or (two-hop copies) the intermediate copy in the source region.",
  producers: ["prepare", "watcher"],
  shape: {
    snapshot: snapshotRef,
    sharedWith: z
      .array(accountId)
      .max(textLimits.list, { message: `at most ${textLimits.list} accounts`, abort: true })
      .describe("Accounts it was shared with"),
  },
});
