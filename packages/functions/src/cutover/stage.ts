import { ClusterRenamed, RestoreVerified } from "@aurora-restore/core/events/domain";
import { defineStage } from "@aurora-restore/core/wiring/stage-declaration";
import { permissions } from "./permissions";

export const stage = defineStage({
  name: "cutover",
  description:
    "Swaps names (old away, new in), points the secrets at the new endpoint, deletes the old cluster; renames back on failure.",
  handler: "packages/functions/src/cutover/handler.handler",
  subscriptions: [{ bus: "pipeline", contracts: [RestoreVerified, ClusterRenamed] }],
  reachesDatabase: false,
  ports: ["publisher", "rds", "secrets"],
  permissions,
});
