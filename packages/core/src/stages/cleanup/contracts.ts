import { defineEvent } from "../../events/contract";

/**
 * The event that tells cleanup a failed operation's kept resources have expired (the watcher notices).
 * Declared beside the stage that acts on it; events/domain.ts lists the whole catalogue.
 */

export const KeptResourcesExpired = defineEvent({
  detailType: "KeptResourcesExpired",
  version: 1,
  description:
    "A failed operation's kept -next cluster and copied snapshot (the plan's retention.keepFailedResourcesHours) are past their expiry: cleanup deletes them.",
  producers: ["watcher"],
  shape: {},
});
