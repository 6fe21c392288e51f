import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { PermissionContext, StageDeclaration, StageName } from "@aurora-restore/core";
import { pascal } from "@aurora-restore/core";
import { functionSettings } from "@aurora-restore/functions/shared/deploy/function-settings";
import type { TargetDeploymentConfig } from "./config";
import { functionEnvironment, plansBundle } from "./function-environment";
import { type DeploymentEncryption, functionStatements, toSstPermissions } from "./iam";
import { type Deployment, deploymentNames } from "./names";
import type { DatabaseNetwork } from "./network";

function vpcFor(network: DatabaseNetwork) {
  if (network.kind === "subnets") {
    return { privateSubnets: network.subnetIds, securityGroups: network.securityGroupIds };
  }
  const group = aws.rds.getSubnetGroupOutput({ name: network.dbSubnetGroupName });
  return { privateSubnets: group.subnetIds, securityGroups: network.securityGroupIds };
}

/**
 * One function per stage, each with its own role holding exactly its checked statements. Only the
 * stages that reach the database run in the VPC and load the CA bundle; they keep running in AWS under
 * `sst dev` (`dev: false`). The plans ship in every function's package as one JSON file (`copyFiles`), written
 * here from the validated plans. Timeout, memory and retries come from one declaration
 * (functions/src/shared/deploy/function-settings.ts), whose timeout is core's FUNCTION_TIMEOUT_SECONDS, and so do
 * the bundling options (code splitting), which the bench measures (bench/sst-bundle.ts).
 */
export function createFunctions(input: {
  at: Deployment;
  deployment: TargetDeploymentConfig;
  context: PermissionContext;
  stages: readonly StageDeclaration[];
  network: DatabaseNetwork | undefined;
  encryption: DeploymentEncryption;
  queues: Record<StageName, aws.sqs.Queue>;
}): Record<StageName, sst.aws.Function> {
  const { at, context } = input;
  const names = deploymentNames(at.stage);
  // copyFiles reads `from` relative to the app's root (where sst.config.ts is), whatever the working folder.
  const plans = plansBundle(at.stage, context.plans);
  const plansFile = join($cli.paths.root, plans.from);
  mkdirSync(dirname(plansFile), { recursive: true });
  writeFileSync(plansFile, plans.contents);
  const entries = input.stages.map((stage) => {
    const statements = functionStatements(at, context, stage, input.encryption);
    if (stage.reachesDatabase && !input.network) {
      throw new Error(`${stage.name} reaches the database but the deployment has no database network`);
    }
    const settings = functionSettings(stage);
    const fn = new sst.aws.Function(`${pascal(stage.name)}Function`, {
      name: names.functionName(stage.name),
      description: stage.description.slice(0, 256),
      handler: stage.handler,
      runtime: input.deployment.runtime,
      architecture: settings.architecture,
      timeout: `${settings.timeoutSeconds} seconds`,
      memory: settings.memory,
      environment: functionEnvironment({
        stage: at.stage,
        topicArn: context.topicArn,
        declaration: stage,
        plans: context.plans,
      }),
      copyFiles: [{ from: plans.from, to: plans.to }],
      permissions: toSstPermissions(statements),
      retries: settings.retries,
      nodejs: settings.nodejs,
      ...(settings.dev === false ? { dev: false as const } : {}),
      // A scheduled stage must not overlap itself: one tick at a time.
      ...(stage.schedule ? { concurrency: { reserved: 1 } } : {}),
      ...(stage.reachesDatabase && input.network ? { vpc: vpcFor(input.network) } : {}),
      transform: {
        role: { name: names.functionRole(stage.name) },
        eventInvokeConfig: {
          destinationConfig: { onFailure: { destination: input.queues[stage.name].arn } },
        },
      },
    });
    return [stage.name, fn] as const;
  });
  return Object.fromEntries(entries) as Record<StageName, sst.aws.Function>;
}
