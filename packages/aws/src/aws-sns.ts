import { parseArn } from "@aurora-restore/core/events/arn";
import type { AccessScope, NotificationPort } from "@aurora-restore/core/ports/index";
import { AwsCallError } from "@aurora-restore/core/ports/index";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { type AwsAdapterOptions, type AwsClients, type ClientPool, poolFrom } from "./clients";
import { callAws } from "./errors";

const maxSubjectLength = 100;

/** SNS clients from a pool: one per account, region and role. */
export function snsClients(pool: ClientPool): AwsClients["sns"] {
  return (scope) => pool.client("sns", scope, (config) => new SNSClient(config));
}

/**
 * SNS publish over the AWS SDK. Publishes in the topic's own region (from its ARN), through the scope's
 * account and role.
 */
export function createAwsSns(scope: AccessScope, options: AwsAdapterOptions<"sns"> = {}): NotificationPort {
  const clients = options.clients ?? { sns: snsClients(poolFrom(options)) };
  return {
    async publish({ topicArn, subject, message, attributes }) {
      const region = parseArn(topicArn)?.region || scope.region;
      const client = clients.sns({ ...scope, region });
      const context = {
        service: "sns" as const,
        operation: "Publish",
        resource: topicArn,
        location: { accountId: scope.accountId, region },
      };
      const out = await callAws(context, () =>
        client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: snsSubject(subject),
            Message: message,
            ...(attributes && Object.keys(attributes).length > 0
              ? {
                  MessageAttributes: Object.fromEntries(
                    Object.entries(attributes).map(([name, value]) => [
                      name,
                      { DataType: "String", StringValue: value },
                    ]),
                  ),
                }
              : {}),
          }),
        ),
      );
      if (!out.MessageId)
        throw new AwsCallError("UnknownError", `Publish ${topicArn} returned no MessageId.`, "sns");
      return { messageId: out.MessageId };
    },
  };
}

/**
 * SNS rejects a subject over 100 characters, with non-ASCII, line breaks or other control characters
 * (InvalidParameter); a notification must not be lost because a cluster name made its subject long.
 */
export function snsSubject(subject: string): string {
  const ascii = subject
    .replace(/[^\x20-\x7e]/g, (char) =>
      char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f ? " " : "?",
    )
    .replace(/ {2,}/g, " ")
    .trim();
  return ascii.length <= maxSubjectLength ? ascii : `${ascii.slice(0, maxSubjectLength - 3)}...`;
}
