import { stageKeyPolicy } from "@aurora-restore/functions/shared/deploy/policy-documents";
import type { Deployment } from "./names";
import { deploymentNames } from "./names";

/**
 * The stage's customer managed key: it encrypts the notifications topic (CloudWatch alarms cannot publish
 * to a topic under the AWS managed aws/sns key) and, when a plan's compliance profile asks, the tables.
 */
export function createDeploymentKey(at: Deployment) {
  const key = new aws.kms.Key("StageKey", {
    description: `aurora-restore ${at.stage}: notifications topic and tables`,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: JSON.stringify(stageKeyPolicy(at)),
  });
  new aws.kms.Alias("StageKeyAlias", { name: deploymentNames(at.stage).keyAlias, targetKeyId: key.keyId });
  return key;
}
