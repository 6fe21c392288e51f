import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { awsCall } from "./aws-errors";
import type { DeployedStage } from "./deployed-stage";

/**
 * Who asks, as the audit trail records it (`requestedBy`): the AWS principal the credentials belong to,
 * not a local user name. GetCallerIdentity needs no permission, and it checks the credentials before
 * anything is published.
 */
export async function callerName(stage: DeployedStage): Promise<string> {
  const identity = await awsCall(
    stage.address,
    { action: "sts:GetCallerIdentity", resource: "the caller's identity", missingMeansNoStage: false },
    () => stage.clients.sts.send(new GetCallerIdentityCommand({})),
  );
  // The events' requestedBy holds at most 256 characters; a principal's ARN is shorter but for odd paths.
  return `cli:${identity.Arn ?? identity.UserId ?? "unknown principal"}`.slice(0, 256);
}
