import type { CallRecord, KeyFact } from "../support/aws-world";

/**
 * Requests AWS makes with the CALLER's permissions while it serves a call: the caller's policies must allow
 * them too, though no SDK command names them. Kept short, one rule per documented behaviour; each returns
 * the requests for one recorded call (action, resource, the request context AWS sets).
 *
 * Not modelled, on purpose (checked on paper, see the README of this folder):
 * - DynamoDB tables under a customer managed key: DynamoDB uses its own grants on the key; the caller needs
 *   no KMS permission (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html).
 * - AWS managed keys (aws/rds, aws/secretsmanager): their key policy allows every principal of the account
 *   through the service; the caller's IAM policy is not consulted for them.
 * - The source snapshot's key of a same-account, cross-region copy and the source cluster's key of a clone:
 *   UNCONFIRMED in AWS's documentation whether the caller needs a grant on them (RDS's own grant serves).
 */

export interface ServiceSideRequest {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
}

export interface ServiceSideRule {
  id: string;
  /** The AWS documentation that says the caller needs this permission. */
  doc: string;
  applies(call: CallRecord): ServiceSideRequest[];
}

const regionOf = (call: CallRecord) => call.scope.region;

function keyRequests(
  key: KeyFact | undefined,
  actions: string[],
  context: Record<string, string | string[]>,
): ServiceSideRequest[] {
  if (key?.manager !== "CUSTOMER") return [];
  return actions.map((action) => ({
    action,
    resource: key.arn,
    context: {
      ...context,
      ...(action === "kms:CreateGrant" ? { "kms:GrantIsForAWSResource": "true" } : {}),
      ...(key.aliases.length > 0 ? { "kms:ResourceAliases": key.aliases } : {}),
    },
  }));
}

const rdsCreates: Record<string, (call: CallRecord) => string | undefined> = {
  CopyDBClusterSnapshot: (call) =>
    rdsArn(call, "cluster-snapshot", call.input.TargetDBClusterSnapshotIdentifier),
  RestoreDBClusterFromSnapshot: (call) => rdsArn(call, "cluster", call.input.DBClusterIdentifier),
  RestoreDBClusterToPointInTime: (call) => rdsArn(call, "cluster", call.input.DBClusterIdentifier),
  CreateDBInstance: (call) => rdsArn(call, "db", call.input.DBInstanceIdentifier),
  CreateDBClusterSnapshot: (call) => rdsArn(call, "cluster-snapshot", call.input.DBClusterSnapshotIdentifier),
};

export function rdsArn(call: CallRecord, type: string, id: unknown): string | undefined {
  if (typeof id !== "string") return undefined;
  if (id.startsWith("arn:")) return id;
  return `arn:aws:rds:${call.scope.region}:${call.scope.accountId}:${type}:${id}`;
}

export const serviceSideRules: ServiceSideRule[] = [
  {
    id: "rds-customer-key",
    doc: "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Overview.Encryption.Keys.html (Authorizing use of a customer managed key: kms:CreateGrant and kms:DescribeKey); https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-share-snapshot.html (copying a shared encrypted snapshot needs the source account's key)",
    applies(call) {
      if (call.service !== "rds") return [];
      const creates = [
        "CopyDBClusterSnapshot",
        "RestoreDBClusterFromSnapshot",
        "RestoreDBClusterToPointInTime",
      ];
      if (!creates.includes(call.command)) return [];
      const context = {
        "kms:ViaService": `rds.${regionOf(call)}.amazonaws.com`,
        "kms:CallerAccount": call.scope.accountId,
      };
      const actions = ["kms:CreateGrant", "kms:DescribeKey"];
      const requests = keyRequests(call.facts.destinationKey, actions, context);
      for (const source of call.facts.sourceSnapshots ?? []) {
        const owner = source.arn.split(":")[4];
        if (owner !== call.scope.accountId && source.key?.arn !== call.facts.destinationKey?.arn) {
          requests.push(...keyRequests(source.key, actions, context));
        }
      }
      return requests;
    },
  },
  {
    id: "rds-tags-on-create",
    doc: "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/security_iam_id-based-policy-examples-grant-permissions-tags-on-create.html (tags in a create call are authorized as rds:AddTagsToResource)",
    applies(call) {
      const created = call.service === "rds" ? rdsCreates[call.command]?.(call) : undefined;
      const tags = call.input.Tags as { Key: string }[] | undefined;
      if (!created || !tags || tags.length === 0) return [];
      return [
        {
          action: "rds:AddTagsToResource",
          resource: created,
          context: { "aws:TagKeys": tags.map((t) => t.Key) },
        },
      ];
    },
  },
  {
    id: "rds-monitoring-role",
    doc: "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_Monitoring.OS.Enabling.html (enhanced monitoring: the caller must be allowed iam:PassRole on the monitoring role, which RDS's monitoring service assumes)",
    applies(call) {
      if (call.service !== "rds" || call.command !== "CreateDBInstance") return [];
      const role = call.input.MonitoringRoleArn;
      if (typeof role !== "string") return [];
      return [
        {
          action: "iam:PassRole",
          resource: role,
          context: { "iam:PassedToService": "monitoring.rds.amazonaws.com" },
        },
      ];
    },
  },
  {
    id: "secrets-customer-key",
    doc: "https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html#security-encryption-authz (a customer managed key: kms:GenerateDataKey and kms:Decrypt for who creates or changes the value, kms:Decrypt for who reads it)",
    applies(call) {
      if (call.service !== "secretsmanager") return [];
      const context = {
        "kms:ViaService": `secretsmanager.${regionOf(call)}.amazonaws.com`,
        "kms:CallerAccount": call.scope.accountId,
      };
      if (call.command === "CreateSecret" || call.command === "PutSecretValue") {
        if (call.error === "ResourceExistsException") return [];
        return keyRequests(call.facts.secretKey, ["kms:GenerateDataKey", "kms:Decrypt"], context);
      }
      if (call.command === "GetSecretValue")
        return keyRequests(call.facts.secretKey, ["kms:Decrypt"], context);
      return [];
    },
  },
  {
    id: "sns-encrypted-topic",
    doc: "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#sns-what-permissions-for-sse (publishers to an encrypted topic need kms:GenerateDataKey and kms:Decrypt)",
    applies(call) {
      if (call.service !== "sns" || call.command !== "Publish") return [];
      const context = {
        "kms:ViaService": `sns.${regionOf(call)}.amazonaws.com`,
        "kms:CallerAccount": call.scope.accountId,
      };
      return keyRequests(call.facts.topicKey, ["kms:GenerateDataKey", "kms:Decrypt"], context);
    },
  },
];

/** Deployment-level requests no pipeline call records (made once per function or per source stage). */
export const deploymentRequestDocs = {
  lambdaFailureDestination:
    "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html (the execution role sends a failed asynchronous invocation to its SQS destination: sqs:SendMessage)",
  eventBridgeCrossAccount:
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html (a rule's role puts events on another account's bus, whose policy must allow that account)",
  assumeRole:
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_permissions-to-switch.html (the caller's policy allows sts:AssumeRole on the role, and the role's trust policy allows the caller)",
} as const;
