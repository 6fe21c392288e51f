import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Plan, parsePlanJson, validatePlan } from "@aurora-restore/core";
import { type Deployment, permissionContextFor } from "@aurora-restore/functions/shared/deploy/names";

export const repositoryRoot = fileURLToPath(new URL("../../../../", import.meta.url));
export const exampleConfigPath = `${repositoryRoot}deploy/aurora-restore.example.json`;

/** The example plan shipped in deploy/plans (cross-account through a role, PCI, one target). */
export function examplePlan(): Plan {
  const path = `${repositoryRoot}deploy/plans/orders-staging.example.json`;
  return parsePlanJson(readFileSync(path, "utf8"), path);
}

/**
 * A second plan covering the other shapes: source in the pipeline's own account (no role), an Aurora
 * clone, a key given by alias ARN, two targets, default compliance.
 */
export function sameAccountPlan(): Plan {
  return validatePlan({
    id: "reporting-qa",
    source: { accountId: "222222222222", region: "eu-west-1", clusterIdentifier: "reporting-prod" },
    targets: [
      {
        accountId: "222222222222",
        region: "eu-west-1",
        clusterIdentifier: "reporting-qa",
        kmsKeyId: "arn:aws:kms:eu-west-1:222222222222:alias/qa-databases",
        network: { dbSubnetGroupName: "staging-databases", vpcSecurityGroupIds: ["sg-0123456789abcdef0"] },
        restoreMethod: "clone",
        masterSecretName: "aurora-restore/reporting-qa/master",
        applicationUsers: [{ username: "reporter", secretName: "aurora-restore/reporting-qa/reporter" }],
      },
      {
        accountId: "222222222222",
        region: "eu-west-1",
        clusterIdentifier: "reporting-dev",
        kmsKeyId: "arn:aws:kms:eu-west-1:222222222222:key/5d3f0a9e-3333-4c4c-8f8f-000000000003",
        network: { dbSubnetGroupName: "staging-databases", vpcSecurityGroupIds: ["sg-0123456789abcdef0"] },
        masterSecretName: "aurora-restore/reporting-dev/master",
      },
    ],
    notificationTopicArn: "arn:aws:sns:eu-west-1:222222222222:reporting-refresh",
  });
}

export const deployment: Deployment = {
  stage: "production",
  partition: "aws",
  accountId: "222222222222",
  region: "eu-west-1",
};

export function sampleContext() {
  return permissionContextFor(deployment, [examplePlan(), sameAccountPlan()]);
}
