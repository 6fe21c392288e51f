import { ClusterConfigured } from "@aurora-restore/core/events/domain";
import { defineStage } from "@aurora-restore/core/wiring/stage-declaration";
import { permissions } from "./permissions";

export const stage = defineStage({
  name: "verify",
  description: "Logs in as an application user and runs the plan's checks.",
  handler: "packages/functions/src/verify/handler.handler",
  subscriptions: [{ bus: "pipeline", contracts: [ClusterConfigured] }],
  reachesDatabase: true,
  ports: ["publisher", "secrets"],
  permissions,
});
