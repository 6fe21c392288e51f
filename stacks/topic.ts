import { deploymentNames } from "./names";

/** The notifications topic: operation summaries (notify) and alarms, encrypted with the stage key. */
export function createTopic(input: {
  stage: string;
  keyArn: $util.Input<string>;
  email?: string | undefined;
}) {
  const topic = new sst.aws.SnsTopic("Notifications", {
    transform: { topic: { name: deploymentNames(input.stage).topic, kmsMasterKeyId: input.keyArn } },
  });
  if (input.email) {
    new aws.sns.TopicSubscription("NotificationsEmail", {
      topic: topic.arn,
      protocol: "email",
      endpoint: input.email,
    });
  }
  return topic;
}
