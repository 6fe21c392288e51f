import {
  DEFAULT_PIPELINE_BUS,
  type PermissionContext,
  type Plan,
  type StageName,
} from "@aurora-restore/core";

/**
 * Physical names of what a stage deploys. They are fixed (not generated) so the ARNs in every function's
 * policy, the source account's trust policy and the alarms are known before anything is created, and so
 * the policy tests check exactly what gets deployed.
 */

/** The SST app name. */
export const APP_NAME = "aurora-restore";

/** Longest stage name: keeps IAM role names (64), archive names (48) and queue names within AWS limits. */
export const MAX_STAGE_LENGTH = 24;

export function deploymentNames(stage: string) {
  const prefix = `${APP_NAME}-${stage}`;
  return {
    bus: `${DEFAULT_PIPELINE_BUS}-${stage}`,
    archive: prefix,
    /** The default bus's archive of the RDS events the stages subscribe to. */
    rdsArchive: `${prefix}-rds`,
    stateTable: `${prefix}-state`,
    auditTable: `${prefix}-audit`,
    topic: `${prefix}-notifications`,
    keyAlias: `alias/${prefix}`,
    dashboard: prefix,
    functionName: (stage: StageName) => `${prefix}-${stage}`,
    functionRole: (stage: StageName) => `${prefix}-${stage}`,
    deadLetterQueue: (stage: StageName) => `${prefix}-${stage}-dlq`,
    /** Source-account stage: the role prepare, trigger, watcher and cleanup assume. */
    sourceAccessRole: `${prefix}-source-access`,
    /** Source-account stage: the role EventBridge uses to forward snapshot events. */
    forwarderRole: `${prefix}-forwarder`,
  };
}

export interface Deployment {
  stage: string;
  partition: string;
  accountId: string;
  region: string;
}

export function roleArn(at: Deployment, roleName: string): string {
  return `arn:${at.partition}:iam::${at.accountId}:role/${roleName}`;
}

/** The pipeline account's default bus: where RDS events arrive (forwarded from the source accounts too). */
export function defaultBusArn(at: Omit<Deployment, "stage">): string {
  return `arn:${at.partition}:events:${at.region}:${at.accountId}:event-bus/default`;
}

/** The deployed resources' ARNs and the plans: what every stage's permissions are computed from. */
export function permissionContextFor(at: Deployment, plans: Plan[]): PermissionContext {
  const names = deploymentNames(at.stage);
  const { partition, region, accountId } = at;
  return {
    partition,
    accountId,
    region,
    plans,
    stateTableArn: `arn:${partition}:dynamodb:${region}:${accountId}:table/${names.stateTable}`,
    auditTableArn: `arn:${partition}:dynamodb:${region}:${accountId}:table/${names.auditTable}`,
    busArn: `arn:${partition}:events:${region}:${accountId}:event-bus/${names.bus}`,
    topicArn: `arn:${partition}:sns:${region}:${accountId}:${names.topic}`,
  };
}

export function keyAliasArn(at: Deployment): string {
  return `arn:${at.partition}:kms:${at.region}:${at.accountId}:${deploymentNames(at.stage).keyAlias}`;
}
