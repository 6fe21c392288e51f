import type { StageDeclaration, StageName } from "@aurora-restore/core";
import { type PlannedRule, pascal, RULE_DESCRIPTION_LIMIT } from "@aurora-restore/core";
import { deploymentNames } from "./names";

/**
 * One dead-letter queue per stage: EventBridge sends what it could not hand to the function, Lambda
 * sends the async invocations that still failed after their retries. Kept the longest SQS allows.
 */
export function createDeadLetterQueues(sstStage: string, stages: readonly StageDeclaration[]) {
  const names = deploymentNames(sstStage);
  return Object.fromEntries(
    stages.map((stage) => [
      stage.name,
      new aws.sqs.Queue(`${pascal(stage.name)}DeadLetterQueue`, {
        name: names.deadLetterQueue(stage.name),
        messageRetentionSeconds: 14 * 24 * 3600,
        sqsManagedSseEnabled: true,
      }),
    ]),
  ) as Record<StageName, aws.sqs.Queue>;
}

/**
 * The planned rules as EventBridge resources: per rule the rule, the Lambda permission and the target
 * with its retry policy and dead-letter queue; per queue a policy that lets only its stage's rules send.
 */
export function createSubscriptions(input: {
  busName: $util.Input<string>;
  stages: readonly StageDeclaration[];
  rules: readonly PlannedRule[];
  functions: Record<StageName, sst.aws.Function>;
  queues: Record<StageName, aws.sqs.Queue>;
}) {
  const { queues } = input;

  const ruleArns: Partial<Record<StageName, $util.Output<string>[]>> = {};
  for (const planned of input.rules) {
    const fn = input.functions[planned.stage];
    const queue = queues[planned.deadLetterQueue];
    const rule = new aws.cloudwatch.EventRule(planned.id, {
      eventBusName: planned.bus === "pipeline" ? input.busName : "default",
      description: planned.description.slice(0, RULE_DESCRIPTION_LIMIT),
      ...(planned.trigger.kind === "pattern"
        ? { eventPattern: JSON.stringify(planned.trigger.pattern) }
        : { scheduleExpression: planned.trigger.expression }),
    });
    const permission = new aws.lambda.Permission(`${planned.id}Permission`, {
      action: "lambda:InvokeFunction",
      function: fn.name,
      principal: "events.amazonaws.com",
      sourceArn: rule.arn,
    });
    new aws.cloudwatch.EventTarget(
      `${planned.id}Target`,
      {
        rule: rule.name,
        eventBusName: planned.bus === "pipeline" ? input.busName : "default",
        arn: fn.arn,
        retryPolicy: {
          maximumRetryAttempts: planned.delivery.maximumRetryAttempts,
          maximumEventAgeInSeconds: planned.delivery.maximumEventAgeSeconds,
        },
        deadLetterConfig: { arn: queue.arn },
      },
      { dependsOn: [permission] },
    );
    ruleArns[planned.deadLetterQueue] = [...(ruleArns[planned.deadLetterQueue] ?? []), rule.arn];
  }

  for (const stage of input.stages) {
    const queue = queues[stage.name];
    const sources = ruleArns[stage.name] ?? [];
    new aws.sqs.QueuePolicy(`${pascal(stage.name)}DeadLetterQueuePolicy`, {
      queueUrl: queue.url,
      policy: $jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "EventBridgeDeadLetters",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: queue.arn,
            Condition: { ArnEquals: { "aws:SourceArn": sources } },
          },
        ],
      }),
    });
  }
}
