import { RestoreCompleted, RestoreFailed } from "@aurora-restore/core/events/domain";
import { defineStage } from "@aurora-restore/core/wiring/stage-declaration";
import { permissions } from "./permissions";

export const stage = defineStage({
  name: "notify",
  description: "Publishes a summary to SNS when an operation ends.",
  handler: "packages/functions/src/notify/handler.handler",
  subscriptions: [{ bus: "pipeline", contracts: [RestoreCompleted, RestoreFailed] }],
  reachesDatabase: false,
  ports: ["notifications"],
  permissions,
});
