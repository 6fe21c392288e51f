import { buildArn, parseArn } from "@aurora-restore/core/events/arn";
import { domainEvents } from "@aurora-restore/core/events/domain";
import { PIPELINE_SOURCE } from "@aurora-restore/core/events/names";
import type { StageName } from "@aurora-restore/core/events/shapes";
import { resourceNames } from "@aurora-restore/core/operation/ids";
import { stageOfStep } from "@aurora-restore/core/operation/steps";
import type { Plan, PlanTarget } from "@aurora-restore/core/plan/schema";
import type { PermissionContext, PolicyStatement } from "@aurora-restore/core/wiring/stage-declaration";

/**
 * Building blocks for the stages' least-privilege statements. Every ARN is scoped to the plans' accounts,
 * regions and the deterministic names the pipeline gives what it creates (core `resourceNames`): the
 * `aurora-restore-` snapshot prefix, `<target>-next` and `<target>-old-*` clusters.
 */

/** The audit trail is append-only: these are the only actions any function gets on it. */
export const AUDIT_TABLE_ACTIONS = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query"] as const;

/** A sample operation id: the names core derives from it, cut before the id part, are the name prefixes. */
const SAMPLE_SHORT_ID = "0000000000";
function namesFor(clusterIdentifier: string) {
  return resourceNames(`op-${SAMPLE_SHORT_ID}`, clusterIdentifier);
}
function prefixOf(name: string): string {
  return name.slice(0, name.indexOf(SAMPLE_SHORT_ID));
}

/** Prefix of every snapshot the pipeline creates (shareable copies, target copies), e.g. `aurora-restore-`. */
export const PIPELINE_SNAPSHOT_PREFIX = prefixOf(namesFor("x").shareableSnapshot);

interface Location {
  accountId: string;
  region: string;
}

function rdsArn(context: Pick<PermissionContext, "partition">, at: Location, resource: string): string {
  return `arn:${context.partition}:rds:${at.region}:${at.accountId}:${resource}`;
}

/** The target cluster under its own name, its temporary `-next` name and the `-old-*` names cutover uses. */
export function targetClusterArns(context: PermissionContext, target: PlanTarget): string[] {
  return [
    liveClusterArn(context, target),
    nextClusterArn(context, target),
    ...replacedClusterArns(context, target).clusters,
  ];
}

/** The live target: only cutover renames it (away, or back on a rollback), and nobody deletes it. */
export function liveClusterArn(context: PermissionContext, target: PlanTarget): string {
  return rdsArn(context, target, `cluster:${target.clusterIdentifier}`);
}

/** The cluster a refresh restores (or clones) into, under the temporary name, until cutover renames it in. */
export function nextClusterArn(context: PermissionContext, target: PlanTarget): string {
  return rdsArn(context, target, `cluster:${namesFor(target.clusterIdentifier).nextCluster}`);
}

/**
 * Instance names under a cluster name: restore names them `<cluster>-<n>` (1 to 15, the plan's limit), so
 * `<cluster>-?` and `<cluster>-1?` hold them all and nothing named `<cluster>-<word>-...`.
 */
function numberedInstanceArns(context: PermissionContext, target: PlanTarget, cluster: string): string[] {
  return [rdsArn(context, target, `db:${cluster}-?`), rdsArn(context, target, `db:${cluster}-1?`)];
}

/** The instances restore creates in the `-next` cluster. */
export function nextInstanceArns(context: PermissionContext, target: PlanTarget): string[] {
  return numberedInstanceArns(context, target, namesFor(target.clusterIdentifier).nextCluster);
}

/** The cluster a cutover moved away (`<target>-old-<id>`) and its instances, which follow its name. */
export function replacedClusterArns(context: PermissionContext, target: PlanTarget) {
  const oldPrefix = prefixOf(namesFor(target.clusterIdentifier).oldCluster);
  return {
    clusters: [rdsArn(context, target, `cluster:${oldPrefix}*`)],
    instances: [rdsArn(context, target, `db:${oldPrefix}*`)],
  };
}

/** The old cluster's optional final snapshot, named after it (`<target>-old-<id>-final`). */
export function finalSnapshotArns(context: PermissionContext, target: PlanTarget): string[] {
  const oldPrefix = prefixOf(namesFor(target.clusterIdentifier).oldCluster);
  return [rdsArn(context, target, `cluster-snapshot:${oldPrefix}*`)];
}

/**
 * Every instance a cutover renames or the watcher describes: the restored ones, and the live target's,
 * whose names are discovered when cutover starts (a console-made cluster's are `<target>-instance-1`, so
 * no narrower pattern holds them). Only renames and describes use this; creating and deleting instances
 * is narrowed to `nextInstanceArns` and the `-old-*` instances.
 */
export function targetInstanceArns(context: PermissionContext, target: PlanTarget): string[] {
  return [rdsArn(context, target, `db:${target.clusterIdentifier}-*`)];
}

/** Snapshots the pipeline made in the target account, in the target region and (two-hop) the source's. */
export function pipelineSnapshotArns(context: PermissionContext, plan: Plan, target: PlanTarget): string[] {
  const regions = [...new Set([target.region, plan.source.region])];
  return regions.map((region) =>
    rdsArn(context, { accountId: target.accountId, region }, `cluster-snapshot:${PIPELINE_SNAPSHOT_PREFIX}*`),
  );
}

/**
 * Snapshots in the source account and region: their names are chosen by people (manual) or RDS
 * (automated), so only the account and region can be pinned.
 */
export function sourceSnapshotArns(context: Pick<PermissionContext, "partition">, plan: Plan): string[] {
  return [rdsArn(context, plan.source, "cluster-snapshot:*")];
}

export function sourceClusterArn(context: Pick<PermissionContext, "partition">, plan: Plan): string {
  return rdsArn(context, plan.source, `cluster:${plan.source.clusterIdentifier}`);
}

/**
 * What the target's restore and instances are created with: subnet group, parameter groups and option
 * group. A parameter group the plan names is the only one; without one, the refresh keeps the existing
 * target's (issue 10, item 7), known only when it runs: any of the target's account and region.
 */
export function targetPlacementArns(context: PermissionContext, target: PlanTarget): string[] {
  return [
    rdsArn(context, target, `subgrp:${target.network.dbSubnetGroupName ?? "default"}`),
    rdsArn(context, target, `cluster-pg:${target.dbClusterParameterGroupName ?? "*"}`),
    rdsArn(context, target, `pg:${target.instances.parameterGroupName ?? "*"}`),
    rdsArn(context, target, `og:default:${target.engine}-*`),
  ];
}

/**
 * Enhanced monitoring: CreateDBInstance with a monitoring role passes it to RDS (iam:PassRole). The plan's
 * role, else the existing target's (any role of the target account), and only to RDS's monitoring service.
 * None when the plan turns enhanced monitoring off.
 */
export function monitoringRoleStatements(
  context: Pick<PermissionContext, "partition">,
  target: PlanTarget,
): PolicyStatement[] {
  const monitoring = target.instances.monitoring;
  if (monitoring?.intervalSeconds === 0) return [];
  return [
    {
      actions: ["iam:PassRole"],
      resources: [monitoring?.roleArn ?? `arn:${context.partition}:iam::${target.accountId}:role/*`],
      conditions: { StringEquals: { "iam:PassedToService": "monitoring.rds.amazonaws.com" } },
    },
  ];
}

/**
 * Secrets Manager appends `-` and six random characters to a secret's name in its ARN (`-??????` matches
 * exactly those). A request for a secret that does not exist yet (configure's first look for the version
 * it staged) is authorized against the name alone, with no suffix: without that ARN it would end in
 * AccessDenied instead of ResourceNotFoundException. No secret's ARN is ever the bare name.
 */
export function targetSecretArns(context: PermissionContext, target: PlanTarget): string[] {
  const names = [target.masterSecretName, ...target.applicationUsers.map((user) => user.secretName)];
  return names.flatMap((name) => {
    const arn = `arn:${context.partition}:secretsmanager:${target.region}:${target.accountId}:secret:${name}`;
    return [`${arn}-??????`, arn];
  });
}

/**
 * Statements on one KMS key. A key ARN is used as is; an alias ARN cannot be a policy resource for key
 * operations, so the keys of that account and region are narrowed to the ones carrying the alias.
 */
export function kmsKeyStatement(
  actions: string[],
  keyRef: string,
  conditions: NonNullable<PolicyStatement["conditions"]> = {},
): PolicyStatement {
  const arn = parseArn(keyRef);
  if (!arn?.resource.startsWith("alias/"))
    return withConditions({ actions, resources: [keyRef] }, conditions);
  return withConditions(
    { actions, resources: [buildArn({ ...arn, resource: "key/*" })] },
    { ...conditions, "ForAnyValue:StringEquals": { "kms:ResourceAliases": [arn.resource] } },
  );
}

function withConditions(
  statement: PolicyStatement,
  conditions: NonNullable<PolicyStatement["conditions"]>,
): PolicyStatement {
  return Object.keys(conditions).length === 0 ? statement : { ...statement, conditions };
}

/** RDS encrypts restores and copies under a key through grants it creates on the caller's behalf. */
export function rdsKeyUseStatements(keyRef: string): PolicyStatement[] {
  return [
    kmsKeyStatement(["kms:DescribeKey"], keyRef),
    kmsKeyStatement(["kms:CreateGrant"], keyRef, { Bool: { "kms:GrantIsForAWSResource": "true" } }),
  ];
}

/** Secrets encrypted under the target's key are read and written through Secrets Manager only. */
export function secretKeyUseStatement(
  target: PlanTarget,
  actions: ("kms:Decrypt" | "kms:GenerateDataKey")[],
): PolicyStatement {
  return kmsKeyStatement(actions, target.kmsKeyId, {
    StringEquals: { "kms:ViaService": `secretsmanager.${target.region}.amazonaws.com` },
  });
}

/** Every (plan, target) pair of the deployment. */
export function plannedTargets(context: PermissionContext): { plan: Plan; target: PlanTarget }[] {
  return context.plans.flatMap((plan) => plan.targets.map((target) => ({ plan, target })));
}

/**
 * The state table is read and written with conditional writes (the state machine's guards; locks and watch
 * items of an earlier version are deleted when done); the audit table only gets appended to and read.
 */
export function storageStatements(context: PermissionContext): PolicyStatement[] {
  return [
    {
      actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
      resources: [context.stateTableArn],
    },
    { actions: ["dynamodb:Query"], resources: [context.stateTableArn, `${context.stateTableArn}/index/*`] },
    { actions: ["dynamodb:PutItem", "dynamodb:GetItem"], resources: [context.auditTableArn] },
    { actions: ["dynamodb:Query"], resources: [context.auditTableArn, `${context.auditTableArn}/index/*`] },
  ];
}

/**
 * PutEvents on the pipeline bus, limited to the given detail-types. `events:source` and `events:detail-type`
 * are multivalued keys (one value per entry of the call; ArrayOfString in AWS's Service Authorization
 * Reference): a plain StringEquals never matches them, so every entry must be allowed (ForAllValues) and the
 * keys must be present (Null false; ForAllValues alone also matches a request without them).
 */
export function putEventsStatement(
  context: PermissionContext,
  detailTypes: readonly string[],
): PolicyStatement {
  return {
    actions: ["events:PutEvents"],
    resources: [context.busArn],
    conditions: {
      "ForAllValues:StringEquals": {
        "events:source": [PIPELINE_SOURCE],
        "events:detail-type": [...detailTypes],
      },
      Null: { "events:source": "false", "events:detail-type": "false" },
    },
  };
}

/** The detail-types the contracts say `stage` produces. */
export function producedBy(stage: StageName): string[] {
  return domainEvents.filter((c) => c.producers.includes(stage)).map((c) => c.detailType);
}

/**
 * What the watcher may publish again from the outbox (core/stages/kit/republish-handoffs.ts): the handoff a
 * stage recorded for the step it owns. Derived from the contracts and the steps' owners, so a stage that
 * starts recording another event cannot leave the watcher unable to republish it.
 */
export function republishableDetailTypes(): string[] {
  const owners = new Set<string>(Object.values(stageOfStep));
  return domainEvents.filter((c) => c.producers.some((p) => owners.has(p))).map((c) => c.detailType);
}

/** PutEvents on the pipeline bus, limited to the detail-types the contracts say this stage produces. */
export function publishStatements(context: PermissionContext, stage: StageName): PolicyStatement[] {
  const detailTypes = producedBy(stage);
  if (detailTypes.length === 0) return [];
  return [putEventsStatement(context, detailTypes)];
}

/** What a stage does to a plan's source snapshots (through the source role, or directly in one account). */
export type SourceAccess = "read" | "share" | "cleanup";

/**
 * The statements for `access` to one plan's source account. They are what the role in the source account
 * grants (stacks/source-account.ts) and, when the pipeline runs in the source account (no roleArn), what
 * the stage's own role gets.
 */
export function sourceAccessStatements(
  context: Pick<PermissionContext, "partition">,
  plan: Plan,
  access: readonly SourceAccess[],
): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  const ownSnapshots = rdsArn(context, plan.source, `cluster-snapshot:${PIPELINE_SNAPSHOT_PREFIX}*`);
  if (access.includes("read")) {
    statements.push({
      actions: ["rds:DescribeDBClusterSnapshots", "rds:DescribeDBClusters"],
      resources: [sourceClusterArn(context, plan), ...sourceSnapshotArns(context, plan)],
    });
  }
  if (access.includes("share")) {
    statements.push(
      {
        actions: ["rds:CopyDBClusterSnapshot"],
        resources: [...sourceSnapshotArns(context, plan)],
      },
      {
        actions: ["rds:ModifyDBClusterSnapshotAttribute", "rds:AddTagsToResource"],
        resources: [ownSnapshots],
      },
      // Telling a default-key (aws/rds) snapshot apart needs DescribeKey on whatever key it names.
      {
        actions: ["kms:DescribeKey"],
        resources: [`arn:${context.partition}:kms:${plan.source.region}:${plan.source.accountId}:key/*`],
      },
    );
    if (plan.source.shareableKmsKeyId) statements.push(...rdsKeyUseStatements(plan.source.shareableKmsKeyId));
  }
  if (access.includes("cleanup")) {
    statements.push({ actions: ["rds:DeleteDBClusterSnapshot"], resources: [ownSnapshots] });
  }
  return statements;
}

/** A stage reaches each plan's source through the plan's role, or directly when it runs in that account. */
export function sourceStatements(
  context: PermissionContext,
  access: readonly SourceAccess[],
): PolicyStatement[] {
  return context.plans.flatMap((plan) =>
    plan.source.roleArn
      ? [{ actions: ["sts:AssumeRole"], resources: [plan.source.roleArn] }]
      : sourceAccessStatements(context, plan, access),
  );
}
