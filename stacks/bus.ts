import { defaultBusPermissions } from "@aurora-restore/functions/shared/deploy/policy-documents";
import { deploymentNames } from "./names";

/**
 * The pipeline's custom bus and its archive (for replay). The default bus additionally accepts events
 * from the plans' source accounts: their snapshot events are forwarded there, where trigger listens.
 */
export function createBus(input: {
  stage: string;
  archiveRetentionDays: number;
  sourceAccountIds: string[];
}) {
  const names = deploymentNames(input.stage);
  const bus = new sst.aws.Bus("PipelineBus", { transform: { bus: { name: names.bus } } });
  new aws.cloudwatch.EventArchive("PipelineArchive", {
    name: names.archive,
    eventSourceArn: bus.arn,
    retentionDays: input.archiveRetentionDays,
    description: `Every event of ${names.bus}, for replay (aurora-restore replay)`,
  });
  // EventPermission adds one statement per account instead of replacing the default bus's whole policy.
  for (const permission of defaultBusPermissions(input.stage, input.sourceAccountIds)) {
    new aws.cloudwatch.EventPermission(`SourceAccount${permission.principal}`, {
      eventBusName: "default",
      principal: permission.principal,
      action: permission.action,
      statementId: permission.statementId,
    });
  }
  return bus;
}
