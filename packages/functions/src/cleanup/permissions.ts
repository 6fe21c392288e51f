import type { PermissionContext, PolicyStatement } from "@aurora-restore/core";
import {
  pipelineSnapshotArns,
  plannedTargets,
  replacedClusterArns,
  sourceStatements,
  storageStatements,
} from "../shared/permissions";

/**
 * Deletes the pipeline's own intermediate snapshots (in the target account, and the source's shareable
 * copy) and the cluster a completed cutover replaced (`<target>-old-*`, instances first).
 */
export function permissions(context: PermissionContext): PolicyStatement[] {
  return [
    ...storageStatements(context),
    ...plannedTargets(context).flatMap(({ plan, target }) => {
      const replaced = replacedClusterArns(context, target);
      return [
        {
          actions: ["rds:DeleteDBClusterSnapshot", "rds:DescribeDBClusterSnapshots"],
          resources: pipelineSnapshotArns(context, plan, target),
        },
        { actions: ["rds:DescribeDBClusters", "rds:DeleteDBCluster"], resources: replaced.clusters },
        { actions: ["rds:DeleteDBInstance"], resources: replaced.instances },
      ];
    }),
    ...sourceStatements(context, ["read", "cleanup"]),
  ];
}
