import { onClusterAvailable } from "@aurora-restore/core/stages/configure";
import { awsDatabasePort } from "../runtime/aws-ports/database";
import { awsPublisherPort } from "../runtime/aws-ports/publisher";
import { awsRdsPort } from "../runtime/aws-ports/rds";
import { awsSecretsPort } from "../runtime/aws-ports/secrets";
import { stageHandler } from "../runtime/stage-handler";
import { stage } from "./stage";

/** configure: new master password, application users, grants and post-restore SQL (see stages/configure). */
export const { handler, handle } = stageHandler(
  stage,
  {
    ClusterAvailable: (event, deps) => onClusterAvailable(deps, event),
  },
  {
    awsPorts: {
      publisher: awsPublisherPort,
      rds: awsRdsPort,
      secrets: awsSecretsPort,
      database: awsDatabasePort,
    },
  },
);
