import { KeptResourcesExpired, RestoreCompleted, RestoreFailed } from "@aurora-restore/core/events/domain";
import { defineStage } from "@aurora-restore/core/wiring/stage-declaration";
import { permissions } from "./permissions";

export const stage = defineStage({
  name: "cleanup",
  description: "Deletes intermediate snapshots once an operation has ended.",
  handler: "packages/functions/src/cleanup/handler.handler",
  subscriptions: [{ bus: "pipeline", contracts: [RestoreCompleted, RestoreFailed, KeptResourcesExpired] }],
  reachesDatabase: false,
  ports: ["publisher", "rds", "secrets"],
  permissions,
});
