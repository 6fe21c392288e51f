import type { PermissionContext, PolicyStatement } from "@aurora-restore/core";
import {
  finalSnapshotArns,
  plannedTargets,
  publishStatements,
  secretKeyUseStatement,
  storageStatements,
  targetClusterArns,
  targetInstanceArns,
  targetSecretArns,
} from "../shared/permissions";

/**
 * Renames old away and new in (or back), promotes the staged credentials (AWSPENDING) to AWSCURRENT with
 * the target's endpoint, deletes the old cluster.
 */
export function permissions(context: PermissionContext): PolicyStatement[] {
  return [
    ...storageStatements(context),
    ...publishStatements(context, "cutover"),
    ...plannedTargets(context).flatMap(({ target }) => {
      const clusters = targetClusterArns(context, target);
      const instances = targetInstanceArns(context, target);
      return [
        {
          actions: ["rds:ModifyDBCluster", "rds:DescribeDBClusters", "rds:DeleteDBCluster"],
          resources: clusters,
        },
        {
          actions: ["rds:ModifyDBInstance", "rds:DescribeDBInstances", "rds:DeleteDBInstance"],
          resources: instances,
        },
        // Deleting the old cluster with its optional final snapshot.
        {
          actions: ["rds:CreateDBClusterSnapshot"],
          resources: [...clusters, ...finalSnapshotArns(context, target)],
        },
        {
          actions: [
            "secretsmanager:GetSecretValue",
            "secretsmanager:PutSecretValue",
            "secretsmanager:DescribeSecret",
            // Removing the AWSPENDING label once the promoted credentials are AWSCURRENT.
            "secretsmanager:UpdateSecretVersionStage",
          ],
          resources: targetSecretArns(context, target),
        },
        secretKeyUseStatement(target, ["kms:GenerateDataKey", "kms:Decrypt"]),
      ];
    }),
  ];
}
