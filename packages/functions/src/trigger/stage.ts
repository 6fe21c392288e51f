import { defineStage, ManualRestoreRequested, snapshotCreatedPattern } from "@aurora-restore/core";
import { permissions } from "./permissions";

export const stage = defineStage({
  name: "trigger",
  description:
    "Starts one operation per planned target when the source's snapshot appears or on a manual request.",
  handler: "packages/functions/src/trigger/handler.handler",
  subscriptions: [
    {
      bus: "default",
      pattern: snapshotCreatedPattern(),
      description: "Source cluster snapshot created (RDS-EVENT-0169/0075), forwarded from the source account",
    },
    { bus: "pipeline", contracts: [ManualRestoreRequested] },
  ],
  reachesDatabase: false,
  permissions,
});
