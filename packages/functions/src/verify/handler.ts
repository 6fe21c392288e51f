import { onClusterConfigured } from "@aurora-restore/core/stages/verify";
import { awsDatabasePort } from "../runtime/aws-ports/database";
import { awsPublisherPort } from "../runtime/aws-ports/publisher";
import { awsSecretsPort } from "../runtime/aws-ports/secrets";
import { stageHandler } from "../runtime/stage-handler";
import { stage } from "./stage";

/** verify: logs in as an application user and runs the plan's checks (see stages/verify). */
export const { handler, handle } = stageHandler(
  stage,
  {
    ClusterConfigured: (event, deps) => onClusterConfigured(deps, event),
  },
  { awsPorts: { publisher: awsPublisherPort, secrets: awsSecretsPort, database: awsDatabasePort } },
);
