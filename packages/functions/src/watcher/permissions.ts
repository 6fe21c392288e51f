import type { PermissionContext, PolicyStatement } from "@aurora-restore/core/wiring/stage-declaration";
import {
  pipelineSnapshotArns,
  plannedTargets,
  producedBy,
  putEventsStatement,
  republishableDetailTypes,
  sourceStatements,
  storageStatements,
  targetClusterArns,
  targetInstanceArns,
} from "../shared/permissions";

/**
 * Describes what operations wait on (copies, clusters, instances, renames) and missed source snapshots;
 * publishes what it finds, and again the handoffs a stage recorded but did not get to publish.
 */
export function permissions(context: PermissionContext): PolicyStatement[] {
  const publishes = [...new Set([...producedBy("watcher"), ...republishableDetailTypes()])];
  return [
    ...storageStatements(context),
    putEventsStatement(context, publishes),
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
