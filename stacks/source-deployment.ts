import { snapshotCreatedPattern } from "@aurora-restore/core";
import {
  forwarderStatements,
  forwarderTrust,
  sourceAccessTrust,
} from "@aurora-restore/functions/shared/deploy/policy-documents";
import type { ResolvedDeployment } from "./config";
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
 * and clean up the planned clusters' snapshots. Deploy it after the target deployment (its roles must exist).
 */
export function sourceDeployment(deployment: ResolvedDeployment & { kind: "source" }) {
  const names = deploymentNames(deployment.stage);
  const targetBus = forwardingTargetBusArn(deployment);

  const forwarder = new aws.iam.Role("ForwarderRole", {
    name: names.forwarderRole,
    assumeRolePolicy: JSON.stringify(forwarderTrust(deployment)),
    inlinePolicies: [
      {
        name: "forward-to-target-bus",
        policy: policyDocument(toSstPermissions(forwarderStatements(deployment))),
      },
    ],
  });
  const rule = new aws.cloudwatch.EventRule("ForwardSnapshotEvents", {
    eventBusName: "default",
    description: `Cluster snapshot created: forwarded to ${deployment.target.accountId} (aurora-restore ${deployment.target.stage})`,
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
    assumeRolePolicy: JSON.stringify(sourceAccessTrust(deployment)),
    inlinePolicies: [
      { name: "planned-snapshots", policy: policyDocument(toSstPermissions(sourceAccessPolicy(deployment))) },
    ],
  });
  return {
    sourceAccessRoleArn: sourceAccessRoleArn(deployment),
    accessRole: access.arn,
    forwardingRule: rule.arn,
  };
}
