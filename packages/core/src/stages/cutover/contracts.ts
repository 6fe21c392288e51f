import * as z from "zod";
import { defineEvent } from "../../events/contract";
import { clusterIdentifier, planId } from "../../events/identifiers";
import { clusterRef, endpointRef } from "../../events/shapes";

/**
 * The events that report cutover's work: a rename it asked for has finished (the watcher notices), the operation succeeded.
 * Declared beside the stage that owns them; events/domain.ts lists the whole catalogue.
 */

export const ClusterRenamed = defineEvent({
  detailType: "ClusterRenamed",
  version: 1,
  description:
    "A rename requested by cutover has finished (found by the watcher; RDS-EVENT-0172 makes it sooner).",
  producers: ["watcher"],
  shape: {
    cluster: clusterRef,
    previousIdentifier: clusterIdentifier,
    step: z.enum(["old-moved-away", "new-moved-in", "rolled-back"]),
    endpoint: endpointRef
      .optional()
      .describe(
        "The endpoint the cluster reported under its new name, as the watcher found it: cutover points the promoted secrets at it without describing the cluster again (absent: cutover describes it)",
      ),
  },
});

export const RestoreCompleted = defineEvent({
  detailType: "RestoreCompleted",
  version: 1,
  description:
    "The refreshed cluster carries the target's name and endpoint; the old cluster is being deleted.",
  producers: ["cutover"],
  shape: {
    planId,
    target: clusterRef,
    endpoint: endpointRef,
    replacedClusterIdentifier: clusterIdentifier.optional(),
  },
});
