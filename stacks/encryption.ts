import type { Deployment } from "./names";
import { deploymentNames } from "./names";

/**
 * The stage's customer managed key: it encrypts the notifications topic (CloudWatch alarms cannot publish
 * to a topic under the AWS managed aws/sns key) and, when a plan's compliance profile asks, the tables.
 */
export function createStageKey(at: Deployment) {
  const root = `arn:${at.partition}:iam::${at.accountId}:root`;
  const key = new aws.kms.Key("StageKey", {
    description: `aurora-restore ${at.stage}: notifications topic and tables`,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          // AWS's default key policy statement: the account's IAM policies decide who uses the key (the
          // functions' policies name it through SNS or DynamoDB only). Without it the key is unmanageable.
          Sid: "AccountIamPoliciesGovern",
          Effect: "Allow",
          Principal: { AWS: root },
          Action: "kms:*",
          Resource: "*",
        },
        {
          Sid: "CloudWatchAlarmsPublishToTopic",
          Effect: "Allow",
          Principal: { Service: "cloudwatch.amazonaws.com" },
          Action: ["kms:Decrypt", "kms:GenerateDataKey"],
          Resource: "*",
          Condition: { StringEquals: { "aws:SourceAccount": at.accountId } },
        },
      ],
    }),
  });
  new aws.kms.Alias("StageKeyAlias", { name: deploymentNames(at.stage).keyAlias, targetKeyId: key.keyId });
  return key;
}
