import { ManualRestoreRequested, RetryRequested } from "@aurora-restore/core/events/domain";
import { snapshotCreatedPattern } from "@aurora-restore/core/events/rds";
import { defineStage } from "@aurora-restore/core/wiring/stage-declaration";
import { permissions } from "./permissions";

export const stage = defineStage({
  name: "trigger",
  description:
    "Starts one operation per planned target when the source's snapshot appears on a manual request, and reopens failed operations on a retry request.",
  handler: "packages/functions/src/trigger/handler.handler",
  subscriptions: [
    {
      bus: "default",
      pattern: snapshotCreatedPattern(),
      description: "Source cluster snapshot created (RDS-EVENT-0169/0075), forwarded from the source account",
    },
    { bus: "pipeline", contracts: [ManualRestoreRequested, RetryRequested] },
  ],
  reachesDatabase: false,
  ports: ["publisher", "rds"],
  permissions,
});
