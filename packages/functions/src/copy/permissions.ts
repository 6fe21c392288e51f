import type { PermissionContext, PolicyStatement } from "@aurora-restore/core/wiring/stage-declaration";
import {
  pipelineSnapshotArns,
  plannedTargets,
  publishStatements,
  rdsKeyUseStatements,
  sourceSnapshotArns,
  storageStatements,
} from "../shared/permissions";

/** Copies the shared snapshot into the target account and region, re-encrypted under the target's key. */
export function permissions(context: PermissionContext): PolicyStatement[] {
  return [
    ...storageStatements(context),
    ...publishStatements(context, "copy"),
    ...plannedTargets(context).flatMap(({ plan, target }) => [
      {
        actions: ["rds:CopyDBClusterSnapshot", "rds:DescribeDBClusterSnapshots"],
        resources: [...sourceSnapshotArns(context, plan), ...pipelineSnapshotArns(context, plan, target)],
      },
      { actions: ["rds:AddTagsToResource"], resources: pipelineSnapshotArns(context, plan, target) },
      ...rdsKeyUseStatements(target.kmsKeyId),
      // The shared copy is encrypted under the source's shareable key, which the source key policy opens.
      ...(plan.source.shareableKmsKeyId ? rdsKeyUseStatements(plan.source.shareableKmsKeyId) : []),
    ]),
  ];
}
