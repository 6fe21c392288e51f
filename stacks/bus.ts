import { type ArchiveKey, deploymentArchives, type StageDeclaration } from "@aurora-restore/core";
import { defaultBusPermissions } from "@aurora-restore/functions/shared/deploy/policy-documents";
import { type Deployment, defaultBusArn, deploymentNames } from "./names";

/**
 * The pipeline's custom bus and the archives (for replay): every event of the bus, and on the default bus
 * the RDS events the stages subscribe to (pattern from their declarations). The default bus additionally
 * accepts events from the plans' source accounts: their snapshot events are forwarded there, where
 * trigger listens.
 */
export function createBus(input: {
  at: Deployment;
  stages: readonly StageDeclaration[];
  archiveRetentionDays: number;
  sourceAccountIds: string[];
}) {
  const names = deploymentNames(input.at.stage);
  const bus = new sst.aws.Bus("PipelineBus", { transform: { bus: { name: names.bus } } });
  const archive: Record<ArchiveKey, { id: string; name: string; source: $util.Input<string> }> = {
    pipeline: { id: "PipelineArchive", name: names.archive, source: bus.arn },
    rds: { id: "RdsEventsArchive", name: names.rdsArchive, source: defaultBusArn(input.at) },
  };
  for (const declared of deploymentArchives(input.stages)) {
    const { id, name, source } = archive[declared.key];
    new aws.cloudwatch.EventArchive(id, {
      name,
      eventSourceArn: source,
      ...(declared.eventPattern ? { eventPattern: JSON.stringify(declared.eventPattern) } : {}),
      retentionDays: input.archiveRetentionDays,
      description: `${declared.description} (aurora-restore replay)`,
    });
  }
  // EventPermission adds one statement per account instead of replacing the default bus's whole policy.
  for (const permission of defaultBusPermissions(input.at.stage, input.sourceAccountIds)) {
    new aws.cloudwatch.EventPermission(`SourceAccount${permission.principal}`, {
      eventBusName: "default",
      principal: permission.principal,
      action: permission.action,
      statementId: permission.statementId,
    });
  }
  return bus;
}
