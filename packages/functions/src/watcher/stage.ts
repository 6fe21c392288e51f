import { resourceChangedPattern } from "@aurora-restore/core/events/rds";
import { defineStage } from "@aurora-restore/core/wiring/stage-declaration";
import { permissions } from "./permissions";

export const stage = defineStage({
  name: "watcher",
  description:
    "Describes what operations wait on and publishes CopyCompleted/ClusterAvailable/...; reconciles missed snapshots and stuck operations.",
  handler: "packages/functions/src/watcher/handler.handler",
  subscriptions: [
    {
      bus: "default",
      pattern: resourceChangedPattern(),
      description: "RDS cluster/instance created, renamed or deleted: look now instead of at the next tick",
    },
  ],
  schedule: "rate(1 minute)",
  reachesDatabase: false,
  ports: ["publisher", "rds"],
  permissions,
});
