import type { PermissionContext, PolicyStatement } from "@aurora-restore/core";
import {
  pipelineSnapshotArns,
  plannedTargets,
  publishStatements,
  sourceStatements,
  storageStatements,
  targetClusterArns,
  targetInstanceArns,
} from "../shared/permissions";

/** Describes what operations wait on (copies, clusters, instances, renames) and missed source snapshots. */
export function permissions(context: PermissionContext): PolicyStatement[] {
  return [
    ...storageStatements(context),
    ...publishStatements(context, "watcher"),
    ...plannedTargets(context).flatMap(({ plan, target }) => [
      { actions: ["rds:DescribeDBClusters"], resources: targetClusterArns(context, target) },
      { actions: ["rds:DescribeDBInstances"], resources: targetInstanceArns(context, target) },
      {
        actions: ["rds:DescribeDBClusterSnapshots"],
        resources: [...targetClusterArns(context, target), ...pipelineSnapshotArns(context, plan, target)],
      },
    ]),
    ...sourceStatements(context, ["read"]),
  ];
}
