import { defineStage, RestoreCompleted, RestoreFailed } from "@aurora-restore/core";
import { permissions } from "./permissions";

export const stage = defineStage({
  name: "notify",
  description: "Publishes a summary to SNS when an operation ends.",
  handler: "packages/functions/src/notify/handler.handler",
  subscriptions: [{ bus: "pipeline", contracts: [RestoreCompleted, RestoreFailed] }],
  reachesDatabase: false,
  permissions,
});
