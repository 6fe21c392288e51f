import { defineEvent } from "../../events/contract";
import { nameText } from "../../events/identifiers";
import { clusterRef, endpointRef } from "../../events/shapes";

/**
 * The events that report restore's work: the cluster is restored, then its instances are up (the watcher notices both).
 * Declared beside the stage that owns them; events/domain.ts lists the whole catalogue.
 */

export const ClusterCreated = defineEvent({
  detailType: "ClusterCreated",
  version: 1,
  description: "The restored cluster is available but has no instances yet (restore then creates them).",
  producers: ["watcher"],
  shape: { cluster: clusterRef },
});

export const ClusterAvailable = defineEvent({
  detailType: "ClusterAvailable",
  version: 1,
  description: "The restored cluster and all its instances are available under the temporary name.",
  producers: ["watcher"],
  shape: {
    cluster: clusterRef,
    endpoint: endpointRef,
    masterUsername: nameText(63)
      .optional()
      .describe(
        "The cluster's master user, as the watcher found it: configure logs in as it without describing the cluster again (absent in events from before: configure describes it)",
      ),
  },
});
