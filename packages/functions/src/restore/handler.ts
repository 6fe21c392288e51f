import { onClusterCreated, onCopyCompleted } from "@aurora-restore/core/stages/restore";
import { awsPublisherPort } from "../runtime/aws-ports/publisher";
import { awsRdsPort } from "../runtime/aws-ports/rds";
import { stageHandler } from "../runtime/stage-handler";
import { stage } from "./stage";

/** restore: restore under the temporary name, then create the instances once the cluster is available. */
export const { handler, handle } = stageHandler(
  stage,
  {
    CopyCompleted: (event, deps) => onCopyCompleted(deps, event),
    ClusterCreated: (event, deps) => onClusterCreated(deps, event),
  },
  { awsPorts: { publisher: awsPublisherPort, rds: awsRdsPort } },
);
