import { SnapshotAvailable } from "@aurora-restore/core/events/domain";
import { defineStage } from "@aurora-restore/core/wiring/stage-declaration";
import { permissions } from "./permissions";

export const stage = defineStage({
  name: "copy",
  description: "Copies the shared snapshot into the target account and region under the target's key.",
  handler: "packages/functions/src/copy/handler.handler",
  subscriptions: [{ bus: "pipeline", contracts: [SnapshotAvailable] }],
  reachesDatabase: false,
  ports: ["publisher", "rds", "kms"],
  permissions,
});
