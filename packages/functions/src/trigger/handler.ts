import { onManualRestoreRequested, onRdsEvent, onRetryRequested } from "@aurora-restore/core/stages/trigger";
import { awsPublisherPort } from "../runtime/aws-ports/publisher";
import { awsRdsPort } from "../runtime/aws-ports/rds";
import { stageHandler } from "../runtime/stage-handler";
import { stage } from "./stage";

/** trigger: RDS-EVENT-0169/0075 from the default bus, manual and retry requests from the pipeline bus. */
export const { handler, handle } = stageHandler(
  stage,
  {
    ManualRestoreRequested: (event, deps) => onManualRestoreRequested(deps, event),
    RetryRequested: (event, deps) => onRetryRequested(deps, event),
    onRdsEvent: (event, deps) => onRdsEvent(deps, event),
  },
  { awsPorts: { publisher: awsPublisherPort, rds: awsRdsPort } },
);
