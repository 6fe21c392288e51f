import { snapshotCreatedPattern } from "@aurora-restore/core";
import type { ResolvedStage } from "./config";
import { toSstPermissions } from "./iam";
import { deploymentNames } from "./names";
import {
  forwardingTargetBusArn,
  sourceAccessPolicy,
  sourceAccessPrincipals,
  sourceAccessRoleArn,
} from "./source-access";

function policyDocument(statements: ReturnType<typeof toSstPermissions>) {
  return aws.iam.getPolicyDocumentOutput({
    statements: statements.map((s) => ({ effect: "Allow", ...s })),
  }).json;
}

/**
 * The source account's side: the rule forwarding its cluster snapshot events to the target account (with
 * the role EventBridge uses for that), and the role the pipeline's functions assume to read, copy, share
 * and clean up the planned clusters' snapshots. Deploy it after the target stage (its roles must exist).
 */
export function sourceStage(stage: ResolvedStage & { kind: "source" }) {
  const names = deploymentNames(stage.stage);
  const targetBus = forwardingTargetBusArn(stage);

  const forwarder = new aws.iam.Role("ForwarderRole", {
    name: names.forwarderRole,
    assumeRolePolicy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": stage.accountId } },
        },
      ],
    }),
    inlinePolicies: [
      {
        name: "forward-to-target-bus",
        policy: policyDocument([{ actions: ["events:PutEvents"], resources: [targetBus] }]),
      },
    ],
  });
  const rule = new aws.cloudwatch.EventRule("ForwardSnapshotEvents", {
    eventBusName: "default",
    description: `Cluster snapshot created: forwarded to ${stage.target.accountId} (aurora-restore ${stage.target.stage})`,
    eventPattern: JSON.stringify(snapshotCreatedPattern()),
  });
  new aws.cloudwatch.EventTarget("ForwardSnapshotEventsTarget", {
    rule: rule.name,
    eventBusName: "default",
    arn: targetBus,
    roleArn: forwarder.arn,
  });

  const access = new aws.iam.Role("SourceAccessRole", {
    name: names.sourceAccessRole,
    assumeRolePolicy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: sourceAccessPrincipals(stage) },
          Action: "sts:AssumeRole",
        },
      ],
    }),
    inlinePolicies: [
      { name: "planned-snapshots", policy: policyDocument(toSstPermissions(sourceAccessPolicy(stage))) },
    ],
  });
  return {
    sourceAccessRoleArn: sourceAccessRoleArn(stage),
    accessRole: access.arn,
    forwardingRule: rule.arn,
  };
}
