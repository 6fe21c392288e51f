import { snapshotCreatedPattern } from "@aurora-restore/core";
import {
  forwarderStatements,
  forwarderTrust,
  sourceAccessTrust,
} from "@aurora-restore/functions/shared/deploy/policy-documents";
import type { ResolvedStage } from "./config";
import { toSstPermissions } from "./iam";
import { deploymentNames } from "./names";
import { forwardingTargetBusArn, sourceAccessPolicy, sourceAccessRoleArn } from "./source-access";

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
    assumeRolePolicy: JSON.stringify(forwarderTrust(stage)),
    inlinePolicies: [
      { name: "forward-to-target-bus", policy: policyDocument(toSstPermissions(forwarderStatements(stage))) },
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
    assumeRolePolicy: JSON.stringify(sourceAccessTrust(stage)),
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
