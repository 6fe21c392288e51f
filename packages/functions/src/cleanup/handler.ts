import {
  onKeptResourcesExpired,
  onRestoreCompleted,
  onRestoreFailed,
} from "@aurora-restore/core/stages/cleanup";
import { awsPublisherPort } from "../runtime/aws-ports/publisher";
import { awsRdsPort } from "../runtime/aws-ports/rds";
import { awsSecretsPort } from "../runtime/aws-ports/secrets";
import { stageHandler } from "../runtime/stage-handler";
import { stage } from "./stage";

/** cleanup: intermediate snapshots, a replaced cluster left behind, the target lock (see stages/cleanup). */
export const { handler, handle } = stageHandler(
  stage,
  {
    RestoreCompleted: (event, deps) => onRestoreCompleted(deps, event),
    RestoreFailed: (event, deps) => onRestoreFailed(deps, event),
    KeptResourcesExpired: (event, deps) => onKeptResourcesExpired(deps, event),
  },
  { awsPorts: { publisher: awsPublisherPort, rds: awsRdsPort, secrets: awsSecretsPort } },
);
