import { ClusterCreated, CopyCompleted } from "@aurora-restore/core/events/domain";
import { defineStage } from "@aurora-restore/core/wiring/stage-declaration";
import { permissions } from "./permissions";

export const stage = defineStage({
  name: "restore",
  description:
    "Restores the cluster under a temporary name, then creates its instances once it is available.",
  handler: "packages/functions/src/restore/handler.handler",
  subscriptions: [{ bus: "pipeline", contracts: [CopyCompleted, ClusterCreated] }],
  reachesDatabase: false,
  ports: ["publisher", "rds"],
  permissions,
});
