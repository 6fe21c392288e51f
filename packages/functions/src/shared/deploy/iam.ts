import type { PermissionContext, PolicyStatement, StageDeclaration } from "@aurora-restore/core";
import { AUDIT_TABLE_ACTIONS, kmsKeyStatement } from "../permissions";
import { type Deployment, deploymentNames } from "./names";

/**
 * The rules every function policy must pass before it is deployed (and in the tests): no wildcard
 * action, a `*` resource only for actions AWS offers no resource-level permission for (with the reason),
 * and nothing but append/read on the audit table.
 */

/** Actions with no resource-level permission in IAM: `*` is the only resource they accept. */
export const WILDCARD_RESOURCE_ACTIONS: readonly string[] = [
  "cloudwatch:PutMetricData",
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "ec2:DescribeNetworkInterfaces",
];

/** Matches an IAM resource pattern (`*`, `?`) against an ARN. */
export function resourceCovers(pattern: string, arn: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${regex}$`).test(arn);
}

export function policyViolations(
  statements: readonly PolicyStatement[],
  context: Pick<PermissionContext, "auditTableArn">,
): string[] {
  const violations: string[] = [];
  const auditArns = [context.auditTableArn, `${context.auditTableArn}/index/any`];
  statements.forEach((statement, i) => {
    const where = `statement ${i} (${statement.actions.join(", ")})`;
    if (statement.actions.length === 0) violations.push(`${where}: no action`);
    if (statement.resources.length === 0) violations.push(`${where}: no resource`);
    for (const action of statement.actions) {
      if (action.includes("*")) violations.push(`${where}: wildcard action ${action}; list the actions`);
    }
    if (statement.resources.includes("*")) {
      if (!statement.wildcardReason) violations.push(`${where}: resource * without a wildcardReason`);
      for (const action of statement.actions) {
        if (!WILDCARD_RESOURCE_ACTIONS.includes(action)) {
          violations.push(`${where}: resource * for ${action}, which supports resource-level permissions`);
        }
      }
    }
    const touchesAudit = statement.resources.some((r) => auditArns.some((arn) => resourceCovers(r, arn)));
    if (touchesAudit) {
      // Only DynamoDB actions apply to a table (a `*` resource also "covers" it for other stages).
      for (const action of statement.actions.filter((a) => a.startsWith("dynamodb:"))) {
        if (!(AUDIT_TABLE_ACTIONS as readonly string[]).includes(action)) {
          violations.push(
            `${where}: ${action} on the audit table; it only takes ${AUDIT_TABLE_ACTIONS.join(", ")}`,
          );
        }
      }
    }
  });
  return violations;
}

export interface DeploymentEncryption {
  /** The stage's customer managed key, by alias: it encrypts the topic, and the tables when asked. */
  keyAliasArn: string;
  tablesUseCustomerKey: boolean;
}

/**
 * Statements the stacks add to a function beyond its declaration: its failed async invocations' queue,
 * and the stage key through SNS (if it publishes to the topic) and DynamoDB (if the tables use the key).
 */
export function infrastructureStatements(
  at: Deployment,
  context: PermissionContext,
  declaration: StageDeclaration,
  declared: readonly PolicyStatement[],
  encryption: DeploymentEncryption,
): PolicyStatement[] {
  const queue = deploymentNames(at.stage).deadLetterQueue(declaration.name);
  const statements: PolicyStatement[] = [
    {
      actions: ["sqs:SendMessage"],
      resources: [`arn:${at.partition}:sqs:${at.region}:${at.accountId}:${queue}`],
    },
  ];
  const publishesToTopic = declared.some(
    (s) => s.actions.includes("sns:Publish") && s.resources.includes(context.topicArn),
  );
  if (publishesToTopic) {
    statements.push(
      kmsKeyStatement(["kms:GenerateDataKey", "kms:Decrypt"], encryption.keyAliasArn, {
        StringEquals: { "kms:ViaService": `sns.${at.region}.amazonaws.com` },
      }),
    );
  }
  if (encryption.tablesUseCustomerKey) {
    statements.push(
      kmsKeyStatement(["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"], encryption.keyAliasArn, {
        StringEquals: { "kms:ViaService": `dynamodb.${at.region}.amazonaws.com` },
      }),
    );
  }
  return statements;
}

/**
 * Merges statements that differ only in resources, so one role's inline policy stays well under IAM's
 * size limit however many plans there are.
 */
export function compactStatements(statements: readonly PolicyStatement[]): PolicyStatement[] {
  const merged = new Map<string, PolicyStatement>();
  for (const statement of statements) {
    const key = JSON.stringify([
      [...statement.actions].sort(),
      statement.conditions ?? null,
      statement.wildcardReason ?? null,
    ]);
    const existing = merged.get(key);
    if (existing) {
      existing.resources = [...new Set([...existing.resources, ...statement.resources])];
    } else {
      merged.set(key, {
        ...statement,
        actions: [...new Set(statement.actions)],
        resources: [...new Set(statement.resources)],
      });
    }
  }
  return [...merged.values()];
}

export class PolicyViolationError extends Error {
  override name = "PolicyViolationError";
}

/** One function's whole policy, checked: throws (naming the stage and each problem) instead of deploying it. */
export function functionStatements(
  at: Deployment,
  context: PermissionContext,
  declaration: StageDeclaration,
  encryption: DeploymentEncryption,
): PolicyStatement[] {
  const declared = declaration.permissions(context);
  const statements = compactStatements([
    ...declared,
    ...infrastructureStatements(at, context, declaration, declared, encryption),
  ]);
  const violations = policyViolations(statements, context);
  if (violations.length > 0) {
    throw new PolicyViolationError(
      `The ${declaration.name} function's permissions break the least-privilege rules:\n  - ${violations.join("\n  - ")}\n` +
        `Fix packages/functions/src/${declaration.name}/permissions.ts.`,
    );
  }
  return statements;
}

/** The shape `sst.aws.Function` takes in `permissions` (and `iam.getPolicyDocument` statements). */
export interface SstPermission {
  actions: string[];
  resources: string[];
  conditions?: { test: string; variable: string; values: string[] }[];
}

export function toSstPermissions(statements: readonly PolicyStatement[]): SstPermission[] {
  return statements.map((statement) => {
    const conditions = Object.entries(statement.conditions ?? {}).flatMap(([test, variables]) =>
      Object.entries(variables).map(([variable, value]) => ({
        test,
        variable,
        values: Array.isArray(value) ? value : [value],
      })),
    );
    return {
      actions: statement.actions,
      resources: statement.resources,
      ...(conditions.length > 0 ? { conditions } : {}),
    };
  });
}
