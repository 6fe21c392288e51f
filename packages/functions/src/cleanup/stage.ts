import { defineStage, KeptResourcesExpired, RestoreCompleted, RestoreFailed } from "@aurora-restore/core";
import { permissions } from "./permissions";

export const stage = defineStage({
  name: "cleanup",
  description: "Deletes intermediate snapshots once an operation has ended.",
  handler: "packages/functions/src/cleanup/handler.handler",
  subscriptions: [{ bus: "pipeline", contracts: [RestoreCompleted, RestoreFailed, KeptResourcesExpired] }],
  reachesDatabase: false,
  permissions,
});
