import { RestoreRequested, SourceSnapshotCopied } from "@aurora-restore/core/events/domain";
import { defineStage } from "@aurora-restore/core/wiring/stage-declaration";
import { permissions } from "./permissions";

export const stage = defineStage({
  name: "prepare",
  description:
    "Makes the source snapshot usable by the target account: shareable copy under a customer key, then share.",
  handler: "packages/functions/src/prepare/handler.handler",
  subscriptions: [{ bus: "pipeline", contracts: [RestoreRequested, SourceSnapshotCopied] }],
  reachesDatabase: false,
  ports: ["publisher", "rds", "kms"],
  permissions,
});
