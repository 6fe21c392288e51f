import type { PermissionContext, PolicyStatement } from "@aurora-restore/core/wiring/stage-declaration";
import {
  finalSnapshotArns,
  nextClusterArn,
  nextInstanceArns,
  pipelineSnapshotArns,
  plannedTargets,
  replacedClusterArns,
  sourceStatements,
  storageStatements,
  targetSecretArns,
} from "../shared/permissions";

/**
 * Deletes the pipeline's own intermediate snapshots (in the target account, and the source's shareable
 * copy), the cluster a completed cutover replaced (`<target>-old-*`, instances first) and the `-next`
 * cluster a failed operation restored; removes the
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
        // The replaced cluster a cutover could not delete (with the final snapshot the plan asks for), and
        // the -next cluster a failed operation restored.
        {
          actions: ["rds:DescribeDBClusters"],
          resources: [...replaced.clusters, nextClusterArn(context, target)],
        },
        // A protected cluster is unprotected before it is deleted (issue 10, item 7).
        {
          actions: ["rds:ModifyDBCluster"],
          resources: [...replaced.clusters, nextClusterArn(context, target)],
        },
        {
          actions: ["rds:DeleteDBCluster"],
          resources: [
            ...replaced.clusters,
            ...finalSnapshotArns(context, target),
            nextClusterArn(context, target),
          ],
        },
        {
          actions: ["rds:DeleteDBInstance"],
          resources: [...replaced.instances, ...nextInstanceArns(context, target)],
        },
        {
          actions: ["secretsmanager:DescribeSecret", "secretsmanager:UpdateSecretVersionStage"],
          resources: targetSecretArns(context, target),
        },
      ];
    }),
    ...sourceStatements(context, ["read", "cleanup"]),
  ];
}
