import type { PermissionContext, ServiceDeclaration, StageName } from "@aurora-restore/core";
import type { TargetStageConfig } from "./config";
import { functionEnvironment } from "./function-environment";
import { type DeploymentEncryption, functionStatements, toSstPermissions } from "./iam";
import { type Deployment, deploymentNames } from "./names";
import type { DatabaseNetwork } from "./network";
import { pascal } from "./subscription-plan";

/** Async invocations Lambda retries after a function error, before the failure goes to the service's queue. */
const ASYNC_RETRIES = 2;

function vpcFor(network: DatabaseNetwork) {
  if (network.kind === "subnets") {
    return { privateSubnets: network.subnetIds, securityGroups: network.securityGroupIds };
  }
  const group = aws.rds.getSubnetGroupOutput({ name: network.dbSubnetGroupName });
  return { privateSubnets: group.subnetIds, securityGroups: network.securityGroupIds };
}

/**
 * One function per service, each with its own role holding exactly its checked statements. Only the
 * services that reach the database run in the VPC and load the CA bundle.
 */
export function createFunctions(input: {
  at: Deployment;
  stage: TargetStageConfig;
  context: PermissionContext;
  services: readonly ServiceDeclaration[];
  network: DatabaseNetwork | undefined;
  encryption: DeploymentEncryption;
  queues: Record<StageName, aws.sqs.Queue>;
}): Record<StageName, sst.aws.Function> {
  const { at, context } = input;
  const names = deploymentNames(at.stage);
  const entries = input.services.map((service) => {
    const statements = functionStatements(at, context, service, input.encryption);
    if (service.reachesDatabase && !input.network) {
      throw new Error(`${service.name} reaches the database but the stage has no database network`);
    }
    const fn = new sst.aws.Function(`${pascal(service.name)}Function`, {
      name: names.functionName(service.name),
      description: service.description.slice(0, 256),
      handler: service.handler,
      runtime: input.stage.runtime,
      architecture: "arm64",
      timeout: "5 minutes",
      memory: "512 MB",
      environment: functionEnvironment({
        stage: at.stage,
        topicArn: context.topicArn,
        service,
        plans: context.plans,
      }),
      permissions: toSstPermissions(statements),
      retries: ASYNC_RETRIES,
      // A scheduled service must not overlap itself: one tick at a time.
      ...(service.schedule ? { concurrency: { reserved: 1 } } : {}),
      ...(service.reachesDatabase && input.network ? { vpc: vpcFor(input.network) } : {}),
      transform: {
        role: { name: names.functionRole(service.name) },
        eventInvokeConfig: {
          destinationConfig: { onFailure: { destination: input.queues[service.name].arn } },
        },
      },
    });
    return [service.name, fn] as const;
  });
  return Object.fromEntries(entries) as Record<StageName, sst.aws.Function>;
}
