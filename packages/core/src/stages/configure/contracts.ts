import * as z from "zod";
import { defineEvent } from "../../events/contract";
import { nameText, secretArn, textLimits } from "../../events/identifiers";
import { clusterRef, endpointRef } from "../../events/shapes";

/**
 * The event that reports configure's work.
 * Declared beside the stage that owns them; events/domain.ts lists the whole catalogue.
 */

export const ClusterConfigured = defineEvent({
  detailType: "ClusterConfigured",
  version: 1,
  description:
    "New master password set and working, application users created or reset, post-restore SQL applied.",
  producers: ["configure"],
  shape: {
    cluster: clusterRef,
    endpoint: endpointRef,
    masterSecretArn: secretArn,
    applicationUsers: z
      // PostgreSQL role names are at most 63 bytes; the plan's stricter rule is not repeated here, so a
      // name that only the SQL quoting keeps safe still travels.
      .array(z.object({ username: nameText(63), secretArn }))
      .max(textLimits.list, { message: `at most ${textLimits.list} users`, abort: true }),
  },
});
