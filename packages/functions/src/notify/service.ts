import { RestoreCompleted, RestoreFailed, type ServiceDeclaration } from "@aurora-restore/core";
import { permissions } from "./permissions";

export const service: ServiceDeclaration = {
  name: "notify",
  description: "Publishes a summary to SNS when an operation ends.",
  handler: "packages/functions/src/notify/handler.handler",
  subscriptions: [{ bus: "pipeline", contracts: [RestoreCompleted, RestoreFailed] }],
  reachesDatabase: false,
  permissions,
};
