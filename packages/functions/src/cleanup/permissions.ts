import type { PermissionContext, PolicyStatement } from "@aurora-restore/core";
import {
  pipelineSnapshotArns,
  plannedTargets,
  replacedClusterArns,
  sourceStatements,
  storageStatements,
  targetSecretArns,
} from "../shared/permissions";

/**
 * Deletes the pipeline's own intermediate snapshots (in the target account, and the source's shareable
 * copy) and the cluster a completed cutover replaced (`<target>-old-*`, instances first); removes the
 * AWSPENDING label a failed operation left on the target's secrets (labels only: no value is read, so no key).
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
        {
          actions: ["secretsmanager:DescribeSecret", "secretsmanager:UpdateSecretVersionStage"],
          resources: targetSecretArns(context, target),
        },
      ];
    }),
    ...sourceStatements(context, ["read", "cleanup"]),
  ];
}
