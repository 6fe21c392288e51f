import { onClusterRenamed, onRestoreVerified } from "@aurora-restore/core/stages/cutover";
import { awsPublisherPort } from "../runtime/aws-ports/publisher";
import { awsRdsPort } from "../runtime/aws-ports/rds";
import { awsSecretsPort } from "../runtime/aws-ports/secrets";
import { stageHandler } from "../runtime/stage-handler";
import { stage } from "./stage";

/** cutover: swaps names step by step, repoints secrets, deletes the old cluster (see stages/cutover). */
export const { handler, handle } = stageHandler(
  stage,
  {
    RestoreVerified: (event, deps) => onRestoreVerified(deps, event),
    ClusterRenamed: (event, deps) => onClusterRenamed(deps, event),
  },
  { awsPorts: { publisher: awsPublisherPort, rds: awsRdsPort, secrets: awsSecretsPort } },
);
