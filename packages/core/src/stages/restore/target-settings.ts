import type { PlanTarget } from "../../plan/schema";
import { isAwsCallError } from "../../ports/errors";
import type { ClusterSettings, DbCluster, InstanceSettings, RdsPort } from "../../ports/rds";

/**
 * The settings a refresh keeps (issue 10, item 7): the restored cluster and its instances take the plan's
 * settings, else the existing target's (described before restoring), else RDS's defaults. Two exceptions:
 * an instance is publicly accessible only when the plan says so (RDS makes one public by default in a VPC
 * with an internet gateway), and Performance Insights keeps its key only when it is the target's key
 * (restore has grants on no other; otherwise RDS's default key is used).
 */
export interface TargetSettings {
  cluster: ClusterSettings;
  instance: InstanceSettings;
  /** Where the settings come from, for the audit trail. */
  from: "plan and existing target" | "plan";
}

/** Tags that are AWS's or the pipeline's own are not carried over. */
function carriedTags(tags: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tags ?? {}).filter(([key]) => !/^(aws|aurora-restore):/i.test(key)),
  );
}

function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The existing target cluster, or undefined on a first refresh. */
export async function describeExistingTarget(
  rds: RdsPort,
  target: Pick<PlanTarget, "clusterIdentifier">,
): Promise<DbCluster | undefined> {
  try {
    return await rds.describeCluster(target.clusterIdentifier);
  } catch (error) {
    if (isAwsCallError(error, "DBClusterNotFoundFault")) return undefined;
    throw error;
  }
}

/** The settings of the existing target's first instance (its instances share them), if it has one. */
async function existingInstanceSettings(rds: RdsPort, existing: DbCluster | undefined) {
  const first = existing?.members.map((m) => m.instanceIdentifier).sort()[0];
  if (!first) return undefined;
  try {
    return (await rds.describeInstance(first)).settings;
  } catch (error) {
    if (isAwsCallError(error, "DBInstanceNotFoundFault")) return undefined;
    throw error;
  }
}

export async function targetSettingsOf(rds: RdsPort, target: PlanTarget): Promise<TargetSettings> {
  const existing = await describeExistingTarget(rds, target);
  const cluster = existing?.settings ?? {};
  const instance = (await existingInstanceSettings(rds, existing)) ?? {};
  const plan = target.settings;
  const planned = target.instances;

  const performanceInsights = planned.performanceInsights ?? instance.performanceInsights;
  const monitoring = planned.monitoring
    ? {
        monitoringInterval: planned.monitoring.intervalSeconds,
        monitoringRoleArn: planned.monitoring.roleArn,
      }
    : { monitoringInterval: instance.monitoringInterval, monitoringRoleArn: instance.monitoringRoleArn };
  const tags = { ...carriedTags(cluster.tags), ...(plan.tags ?? {}) };
  return {
    cluster: defined({
      deletionProtection: plan.deletionProtection ?? cluster.deletionProtection,
      dbClusterParameterGroupName: target.dbClusterParameterGroupName ?? cluster.dbClusterParameterGroupName,
      backupRetentionPeriod: plan.backupRetentionDays ?? cluster.backupRetentionPeriod,
      iamDatabaseAuthentication: plan.iamDatabaseAuthentication ?? cluster.iamDatabaseAuthentication,
      cloudwatchLogsExports: plan.logExports ?? cluster.cloudwatchLogsExports,
      tags,
    }),
    instance: defined({
      dbParameterGroupName: planned.parameterGroupName ?? instance.dbParameterGroupName,
      performanceInsights: performanceInsights
        ? defined({
            enabled: performanceInsights.enabled,
            retentionPeriod: performanceInsights.enabled ? performanceInsights.retentionPeriod : undefined,
            kmsKeyId:
              performanceInsights.enabled &&
              (planned.performanceInsights?.kmsKeyId !== undefined ||
                performanceInsights.kmsKeyId === target.kmsKeyId)
                ? performanceInsights.kmsKeyId
                : undefined,
          })
        : undefined,
      monitoringInterval: monitoring.monitoringInterval,
      monitoringRoleArn: monitoring.monitoringInterval ? monitoring.monitoringRoleArn : undefined,
      publiclyAccessible: planned.publiclyAccessible,
      tags: { ...carriedTags(instance.tags), ...(plan.tags ?? {}) },
    }),
    from: existing ? "plan and existing target" : "plan",
  };
}

/**
 * Restore's first run records the target's instance settings with its claim (outputs are flat values, so
 * as JSON); its second run creates the instances from them instead of describing the target again. The live
 * target is unchanged until cutover, so they are what a second read would find.
 */
export const RECORDED_INSTANCE_SETTINGS = "targetInstanceSettings";

export function encodeInstanceSettings(settings: InstanceSettings): string {
  return JSON.stringify(settings);
}

/** The recorded instance settings, or undefined (an operation claimed before they were recorded). */
export function recordedInstanceSettings(outputs: Record<string, unknown>): InstanceSettings | undefined {
  const text = outputs[RECORDED_INSTANCE_SETTINGS];
  if (typeof text !== "string") return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as InstanceSettings)
      : undefined;
  } catch {
    return undefined;
  }
}
