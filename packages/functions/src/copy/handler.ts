import { onSnapshotAvailable } from "@aurora-restore/core/stages/copy";
import { awsKmsPort } from "../runtime/aws-ports/kms";
import { awsPublisherPort } from "../runtime/aws-ports/publisher";
import { awsRdsPort } from "../runtime/aws-ports/rds";
import { stageHandler } from "../runtime/stage-handler";
import { stage } from "./stage";

/** copy: bring the snapshot into the target account and region under the target key. */
export const { handler, handle } = stageHandler(
  stage,
  {
    SnapshotAvailable: (event, deps) => onSnapshotAvailable(deps, event),
  },
  { awsPorts: { publisher: awsPublisherPort, rds: awsRdsPort, kms: awsKmsPort } },
);
