import type { PermissionContext, PolicyStatement } from "@aurora-restore/core/wiring/stage-declaration";
import {
  liveClusterArn,
  monitoringRoleStatements,
  nextClusterArn,
  nextInstanceArns,
  pipelineSnapshotArns,
  plannedTargets,
  publishStatements,
  rdsKeyUseStatements,
  sourceClusterArn,
  sourceSnapshotArns,
  storageStatements,
  targetInstanceArns,
  targetPlacementArns,
} from "../shared/permissions";

/**
 * Restores (or clones) under the temporary name, then creates the instances once the cluster is up: only
 * the `-next` cluster and its numbered instances, never the live target, which it only describes (the
 * settings the refresh keeps: issue 10, item 7).
 */
export function permissions(context: PermissionContext): PolicyStatement[] {
  return [
    ...storageStatements(context),
    ...publishStatements(context, "restore"),
    ...plannedTargets(context).flatMap(({ plan, target }) => {
      const clusters = [nextClusterArn(context, target)];
      const instances = nextInstanceArns(context, target);
      const placement = targetPlacementArns(context, target);
      // A shared snapshot can be restored directly; a copied one is the pipeline's own.
      const snapshots = [
        ...sourceSnapshotArns(context, plan),
        ...pipelineSnapshotArns(context, plan, target),
      ];
      const statements: PolicyStatement[] = [
        {
          actions: ["rds:RestoreDBClusterFromSnapshot"],
          resources: [...clusters, ...snapshots, ...placement],
        },
        { actions: ["rds:CreateDBInstance"], resources: [...clusters, ...instances, ...placement] },
        { actions: ["rds:DescribeDBClusters"], resources: [...clusters, liveClusterArn(context, target)] },
        {
          actions: ["rds:DescribeDBInstances"],
          resources: [...instances, ...targetInstanceArns(context, target)],
        },
        { actions: ["rds:AddTagsToResource"], resources: [...clusters, ...instances] },
        ...rdsKeyUseStatements(target.kmsKeyId),
        ...monitoringRoleStatements(context, target),
      ];
      const insightsKey = target.instances.performanceInsights?.kmsKeyId;
      if (insightsKey && insightsKey !== target.kmsKeyId)
        statements.push(...rdsKeyUseStatements(insightsKey));
      if (target.restoreMethod === "clone") {
        statements.push({
          actions: ["rds:RestoreDBClusterToPointInTime"],
          resources: [sourceClusterArn(context, plan), ...clusters, ...placement],
        });
      }
      return statements;
    }),
  ];
}
