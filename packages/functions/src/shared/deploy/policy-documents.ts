import type { Plan, PolicyStatement } from "@aurora-restore/core";
import { stages } from "../../stages";
import type { ResolvedDeployment } from "./config";
import { type DeploymentEncryption, functionStatements } from "./iam";
import {
  type Deployment,
  defaultBusArn,
  deploymentNames,
  keyAliasArn,
  permissionContextFor,
  roleArn,
} from "./names";
import {
  forwardingTargetBusArn,
  sourceAccessPolicy,
  sourceAccessPrincipals,
  sourceAccessRoleArn,
} from "./source-access";
import { needsCustomerKey } from "./table-schema";

/**
 * IAM JSON of everything a stage deploys that decides who may do what: each role's identity policy and
 * trust policy, and the resource policies (stage key, default bus). The stacks deploy exactly these
 * documents (stacks/source-deployment.ts, encryption.ts, bus.ts, functions.ts through `functionStatements`),
 * `aurora-restore deploy policies` prints them, and the IAM simulation (packages/aws/test/iam) evaluates
 * them: one source, so a review cannot see something other than what deploys.
 */

export const IAM_POLICY_VERSION = "2012-10-17";

export interface IamStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | { AWS?: string | string[]; Service?: string | string[] };
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface IamPolicyDocument {
  Version: typeof IAM_POLICY_VERSION;
  Statement: IamStatement[];
}

export function policyDocument(statements: readonly IamStatement[]): IamPolicyDocument {
  return { Version: IAM_POLICY_VERSION, Statement: [...statements] };
}

/** The pipeline's statements as IAM JSON (what SST's `permissions` and getPolicyDocument write). */
export function identityPolicy(statements: readonly PolicyStatement[]): IamPolicyDocument {
  return policyDocument(
    statements.map((s) => ({
      Effect: "Allow",
      Action: [...s.actions],
      Resource: [...s.resources],
      ...(s.conditions ? { Condition: s.conditions } : {}),
    })),
  );
}

function servicePrincipalTrust(service: string, condition?: IamStatement["Condition"]): IamPolicyDocument {
  return policyDocument([
    {
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sts:AssumeRole",
      ...(condition ? { Condition: condition } : {}),
    },
  ]);
}

/** One role as deployed: where, its inline policy and its trust policy. */
export interface DeployedRole {
  /** The stage the role runs, or `source-access` / `forwarder` in a source account. */
  name: string;
  roleName: string;
  roleArn: string;
  account: string;
  region: string;
  policy: IamPolicyDocument;
  trust: IamPolicyDocument;
  /** What the role is for, in one line. */
  description: string;
}

/** A resource policy the stage deploys (or, for the source key, asks the source account to add). */
export interface DeployedResourcePolicy {
  name: string;
  resourceArn: string;
  account: string;
  region: string;
  policy: IamPolicyDocument;
  /** `deployed`: the stage creates it; `required`: the README asks the account's owners to add it. */
  kind: "deployed" | "required";
  description: string;
}

export function deploymentOf(
  stage: Pick<ResolvedDeployment, "stage" | "partition" | "accountId" | "region">,
) {
  return {
    stage: stage.stage,
    partition: stage.partition,
    accountId: stage.accountId,
    region: stage.region,
  } satisfies Deployment;
}

export function encryptionOf(stage: ResolvedDeployment & { kind: "target" }): DeploymentEncryption {
  return {
    keyAliasArn: keyAliasArn(deploymentOf(stage)),
    tablesUseCustomerKey: needsCustomerKey(stage.planList),
  };
}

/** Every function role of a target stage, with exactly the statements `stacks/functions.ts` deploys. */
export function targetStageRoles(stage: ResolvedDeployment & { kind: "target" }): DeployedRole[] {
  const at = deploymentOf(stage);
  const context = permissionContextFor(at, stage.planList);
  const names = deploymentNames(stage.stage);
  const encryption = encryptionOf(stage);
  return stages.map((declaration) => ({
    name: declaration.name,
    roleName: names.functionRole(declaration.name),
    roleArn: roleArn(at, names.functionRole(declaration.name)),
    account: stage.accountId,
    region: stage.region,
    policy: identityPolicy(functionStatements(at, context, declaration, encryption)),
    trust: servicePrincipalTrust("lambda.amazonaws.com"),
    description: declaration.description,
  }));
}

/** The source access role's trust: exactly the target stage's function roles that assume it. */
export function sourceAccessTrust(stage: ResolvedDeployment & { kind: "source" }): IamPolicyDocument {
  return policyDocument([
    { Effect: "Allow", Principal: { AWS: sourceAccessPrincipals(stage) }, Action: "sts:AssumeRole" },
  ]);
}

export function forwarderStatements(stage: ResolvedDeployment & { kind: "source" }): PolicyStatement[] {
  return [{ actions: ["events:PutEvents"], resources: [forwardingTargetBusArn(stage)] }];
}

/** EventBridge assumes the forwarder role, for rules of this account only. */
export function forwarderTrust(stage: ResolvedDeployment & { kind: "source" }): IamPolicyDocument {
  return servicePrincipalTrust("events.amazonaws.com", {
    StringEquals: { "aws:SourceAccount": stage.accountId },
  });
}

/** The two roles a source stage creates in the source account. */
export function sourceStageRoles(stage: ResolvedDeployment & { kind: "source" }): DeployedRole[] {
  const at = deploymentOf(stage);
  const names = deploymentNames(stage.stage);
  return [
    {
      name: "source-access",
      roleName: names.sourceAccessRole,
      roleArn: sourceAccessRoleArn(stage),
      account: stage.accountId,
      region: stage.region,
      policy: identityPolicy(sourceAccessPolicy(stage)),
      trust: sourceAccessTrust(stage),
      description: `Assumed by the ${stage.target.stage} stage's functions to read, copy, share and clean up the planned clusters' snapshots`,
    },
    {
      name: "forwarder",
      roleName: names.forwarderRole,
      roleArn: roleArn(at, names.forwarderRole),
      account: stage.accountId,
      region: stage.region,
      policy: identityPolicy(forwarderStatements(stage)),
      trust: forwarderTrust(stage),
      description: `EventBridge forwards this account's cluster snapshot events to ${stage.target.accountId}'s default bus`,
    },
  ];
}

export function stageRoles(stage: ResolvedDeployment): DeployedRole[] {
  return stage.kind === "target" ? targetStageRoles(stage) : sourceStageRoles(stage);
}

/**
 * The stage key's policy (stacks/encryption.ts): the account's IAM policies decide who uses it (the
 * functions name it through SNS or DynamoDB only), and CloudWatch alarms may publish to the topic it encrypts.
 */
export function stageKeyPolicy(at: Deployment): IamPolicyDocument {
  return policyDocument([
    {
      Sid: "AccountIamPoliciesGovern",
      Effect: "Allow",
      Principal: { AWS: `arn:${at.partition}:iam::${at.accountId}:root` },
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
  ]);
}

/** The plans' source accounts other than the stage's own: they forward snapshot events to its default bus. */
export function sourceAccountIdsOf(stage: { accountId: string; planList: Plan[] }): string[] {
  return [...new Set(stage.planList.map((p) => p.source.accountId))].filter((id) => id !== stage.accountId);
}

/** One `events:PutEvents` permission per source account on the default bus (aws.cloudwatch.EventPermission). */
export function defaultBusPermissions(stage: string, sourceAccountIds: readonly string[]) {
  return sourceAccountIds.map((accountId) => ({
    statementId: `${deploymentNames(stage).archive}-${accountId}`,
    principal: accountId,
    action: "events:PutEvents" as const,
  }));
}

/** The statements EventBridge adds to the default bus's policy for those permissions (PutPermission). */
export function defaultBusPolicy(
  at: Deployment,
  permissions: ReturnType<typeof defaultBusPermissions>,
): IamPolicyDocument {
  const busArn = defaultBusArn(at);
  return policyDocument(
    permissions.map((p) => ({
      Sid: p.statementId,
      Effect: "Allow",
      Principal: { AWS: `arn:${at.partition}:iam::${p.principal}:root` },
      Action: p.action,
      Resource: busArn,
    })),
  );
}

/**
 * The statements the source account adds to its shareable key's policy (README, "The source account's key
 * policy"): the target account may use the key, and create grants only for AWS stages such as RDS.
 */
export function sourceKeyPolicyStatements(partition: string, targetAccountId: string): IamStatement[] {
  const principal = { AWS: `arn:${partition}:iam::${targetAccountId}:root` };
  return [
    {
      Sid: "AllowAuroraRestoreTargetAccount",
      Effect: "Allow",
      Principal: principal,
      Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      Resource: "*",
    },
    {
      Sid: "AllowAuroraRestoreTargetAccountGrants",
      Effect: "Allow",
      Principal: principal,
      Action: "kms:CreateGrant",
      Resource: "*",
      Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
  ];
}

/** AWS's default key policy statement: the key's account decides through IAM policies. */
export function accountRootKeyStatement(partition: string, accountId: string): IamStatement {
  return {
    Sid: "Enable IAM User Permissions",
    Effect: "Allow",
    Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
    Action: "kms:*",
    Resource: "*",
  };
}

/** The resource policies a stage deploys, and the key policy statements a source stage needs from its owners. */
export function stageResourcePolicies(stage: ResolvedDeployment): DeployedResourcePolicy[] {
  const at = deploymentOf(stage);
  if (stage.kind === "target") {
    const policies: DeployedResourcePolicy[] = [
      {
        name: "stage-key",
        resourceArn: keyAliasArn(at),
        account: stage.accountId,
        region: stage.region,
        policy: stageKeyPolicy(at),
        kind: "deployed",
        description:
          "The stage key: notifications topic, and the tables when a plan's compliance profile asks",
      },
    ];
    const permissions = defaultBusPermissions(stage.stage, sourceAccountIdsOf(stage));
    if (permissions.length > 0) {
      policies.push({
        name: "default-bus",
        resourceArn: `arn:${at.partition}:events:${at.region}:${at.accountId}:event-bus/default`,
        account: stage.accountId,
        region: stage.region,
        policy: defaultBusPolicy(at, permissions),
        kind: "deployed",
        description:
          "Statements added to the default bus: the plans' source accounts forward snapshot events",
      });
    }
    return policies;
  }
  const keys = [
    ...new Set(
      stage.planList.flatMap((p) => (p.source.shareableKmsKeyId ? [p.source.shareableKmsKeyId] : [])),
    ),
  ];
  return keys.map((key) => ({
    name: "source-shareable-key",
    resourceArn: key,
    account: stage.accountId,
    region: stage.region,
    policy: policyDocument(sourceKeyPolicyStatements(stage.partition, stage.target.accountId)),
    kind: "required",
    description:
      "Add these statements to the shareable key's policy (README, The source account's key policy)",
  }));
}
