import { ClusterCreated, CopyCompleted, type ServiceDeclaration } from "@aurora-restore/core";
import { permissions } from "./permissions";

export const service: ServiceDeclaration = {
  name: "restore",
  description:
    "Restores the cluster under a temporary name, then creates its instances once it is available.",
  handler: "packages/functions/src/restore/handler.handler",
  subscriptions: [{ bus: "pipeline", contracts: [CopyCompleted, ClusterCreated] }],
  reachesDatabase: false,
  permissions,
};
