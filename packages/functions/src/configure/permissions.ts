import type { PermissionContext, PolicyStatement } from "@aurora-restore/core/wiring/stage-declaration";
import {
  nextClusterArn,
  plannedTargets,
  publishStatements,
  secretKeyUseStatement,
  storageStatements,
  targetSecretArns,
} from "../shared/permissions";

/**
 * Sets the new master password and stores it and the application users' passwords in their secrets
 * (created on first use). The key statement covers secrets a team created under the target's key.
 */
export function permissions(context: PermissionContext): PolicyStatement[] {
  return [
    ...storageStatements(context),
    ...publishStatements(context, "configure"),
    ...plannedTargets(context).flatMap(({ target }) => [
      {
        // The restored cluster only: configure never touches the live target.
        actions: ["rds:ModifyDBCluster", "rds:DescribeDBClusters"],
        resources: [nextClusterArn(context, target)],
      },
      {
        actions: [
          "secretsmanager:CreateSecret",
          "secretsmanager:PutSecretValue",
          "secretsmanager:GetSecretValue",
          "secretsmanager:DescribeSecret",
        ],
        resources: targetSecretArns(context, target),
      },
      secretKeyUseStatement(target, ["kms:GenerateDataKey", "kms:Decrypt"]),
    ]),
  ];
}
