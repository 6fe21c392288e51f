import { ClusterConfigured, defineStage } from "@aurora-restore/core";
import { permissions } from "./permissions";

export const stage = defineStage({
  name: "verify",
  description: "Logs in as an application user and runs the plan's checks.",
  handler: "packages/functions/src/verify/handler.handler",
  subscriptions: [{ bus: "pipeline", contracts: [ClusterConfigured] }],
  reachesDatabase: true,
  permissions,
});
