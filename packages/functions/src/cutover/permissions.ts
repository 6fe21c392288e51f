import type { PermissionContext, PolicyStatement } from "@aurora-restore/core/wiring/stage-declaration";
import {
  finalSnapshotArns,
  plannedTargets,
  publishStatements,
  replacedClusterArns,
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
      const replaced = replacedClusterArns(context, target);
      return [
        // Renames: the live target away (and back), the restored cluster in; its instances likewise.
        { actions: ["rds:ModifyDBCluster", "rds:DescribeDBClusters"], resources: clusters },
        {
          actions: ["rds:ModifyDBInstance", "rds:DescribeDBInstances"],
          resources: targetInstanceArns(context, target),
        },
        // Deletes only what it moved away: the old cluster (with its optional final snapshot, a resource of
        // DeleteDBCluster in AWS's Service Authorization Reference) and its instances.
        {
          actions: ["rds:DeleteDBCluster"],
          resources: [...replaced.clusters, ...finalSnapshotArns(context, target)],
        },
        { actions: ["rds:DeleteDBInstance"], resources: replaced.instances },
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
