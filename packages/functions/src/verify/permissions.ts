import type { PermissionContext, PolicyStatement } from "@aurora-restore/core/wiring/stage-declaration";
import {
  nextClusterArn,
  plannedTargets,
  publishStatements,
  secretKeyUseStatement,
  storageStatements,
  targetSecretArns,
} from "../shared/permissions";

/** Logs in as an application user (its secret) and runs the checks: read-only everywhere. */
export function permissions(context: PermissionContext): PolicyStatement[] {
  return [
    ...storageStatements(context),
    ...publishStatements(context, "verify"),
    ...plannedTargets(context).flatMap(({ target }) => [
      { actions: ["rds:DescribeDBClusters"], resources: [nextClusterArn(context, target)] },
      {
        actions: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        resources: targetSecretArns(context, target),
      },
      secretKeyUseStatement(target, ["kms:Decrypt"]),
    ]),
  ];
}
