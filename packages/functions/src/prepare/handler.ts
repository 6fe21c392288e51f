import { onRestoreRequested, onSourceSnapshotCopied } from "@aurora-restore/core/stages/prepare";
import { awsKmsPort } from "../runtime/aws-ports/kms";
import { awsPublisherPort } from "../runtime/aws-ports/publisher";
import { awsRdsPort } from "../runtime/aws-ports/rds";
import { stageHandler } from "../runtime/stage-handler";
import { stage } from "./stage";

/** prepare: make the source snapshot usable by the target account (shareable copy, share). */
export const { handler, handle } = stageHandler(
  stage,
  {
    RestoreRequested: (event, deps) => onRestoreRequested(deps, event),
    SourceSnapshotCopied: (event, deps) => onSourceSnapshotCopied(deps, event),
  },
  { awsPorts: { publisher: awsPublisherPort, rds: awsRdsPort, kms: awsKmsPort } },
);
