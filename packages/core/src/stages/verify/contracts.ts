import * as z from "zod";
import { defineEvent } from "../../events/contract";
import { messageText, nameText, textLimits } from "../../events/identifiers";
import { clusterRef } from "../../events/shapes";

/**
 * The event that reports verify's work.
 * Declared beside the stage that owns them; events/domain.ts lists the whole catalogue.
 */

export const RestoreVerified = defineEvent({
  detailType: "RestoreVerified",
  version: 1,
  description: "Every check of the plan passed on the restored cluster.",
  producers: ["verify"],
  shape: {
    cluster: clusterRef,
    checks: z
      .array(z.object({ name: nameText(), passed: z.boolean(), detail: messageText().optional() }))
      .max(textLimits.list, { message: `at most ${textLimits.list} checks`, abort: true }),
  },
});
