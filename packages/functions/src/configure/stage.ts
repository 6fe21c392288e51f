import { ClusterAvailable } from "@aurora-restore/core/events/domain";
import { defineStage } from "@aurora-restore/core/wiring/stage-declaration";
import { permissions } from "./permissions";

export const stage = defineStage({
  name: "configure",
  description:
    "Sets a fresh master password, creates application users, applies grants and post-restore SQL over verified TLS.",
  handler: "packages/functions/src/configure/handler.handler",
  subscriptions: [{ bus: "pipeline", contracts: [ClusterAvailable] }],
  reachesDatabase: true,
  ports: ["publisher", "rds", "secrets"],
  permissions,
});
