import type { StageName } from "@aurora-restore/core";
import { subscriptionPlan } from "@aurora-restore/core";
import { sourceAccountIdsOf } from "@aurora-restore/functions/shared/deploy/policy-documents";
import { stages } from "@aurora-restore/functions/stages";
import { createBus } from "./bus";
import type { ResolvedDeployment } from "./config";
import { createDeploymentKey } from "./encryption";
import { createFunctions } from "./functions";
import { createMonitoring } from "./monitoring";
import { type Deployment, deploymentNames, keyAliasArn, permissionContextFor } from "./names";
import { databaseNetworkFor } from "./network";
import { createDeadLetterQueues, createSubscriptions } from "./subscriptions";
import { needsCustomerKey } from "./table-schema";
import { createTables } from "./tables";
import { createTopic } from "./topic";

/**
 * The pipeline's account: key, tables, bus and archive, topic, one function per stage, their rules,
 * dead-letter queues, the watcher's schedule, the dashboard and the alarms.
 */
export function targetDeployment(deployment: ResolvedDeployment & { kind: "target" }) {
  const at: Deployment = {
    stage: deployment.stage,
    partition: deployment.partition,
    accountId: deployment.accountId,
    region: deployment.region,
  };
  const names = deploymentNames(deployment.stage);
  const context = permissionContextFor(at, deployment.planList);
  const tablesUseCustomerKey = needsCustomerKey(deployment.planList);
  const network = stages.some((s) => s.reachesDatabase) ? databaseNetworkFor(deployment) : undefined;

  const key = createDeploymentKey(at);
  const tables = createTables({
    stage: deployment.stage,
    production: deployment.production,
    ...(tablesUseCustomerKey ? { customerKeyArn: key.arn } : {}),
  });
  const sourceAccountIds = sourceAccountIdsOf(deployment);
  const bus = createBus({
    at,
    stages,
    archiveRetentionDays: deployment.archiveRetentionDays,
    sourceAccountIds,
  });
  const topic = createTopic({ stage: deployment.stage, keyArn: key.arn, email: deployment.alarmEmail });

  const queues = createDeadLetterQueues(deployment.stage, stages);
  const functions = createFunctions({
    at,
    deployment,
    context,
    stages,
    network,
    encryption: { keyAliasArn: keyAliasArn(at), tablesUseCustomerKey },
    queues,
  });
  createSubscriptions({
    busName: bus.name,
    stages,
    rules: subscriptionPlan(stages, deployment.delivery),
    functions,
    queues,
  });
  createMonitoring({
    dashboardName: names.dashboard,
    topicArn: topic.arn,
    deployment: {
      region: deployment.region,
      stages,
      functionName: (stage: StageName) => names.functionName(stage),
      deadLetterQueueName: (stage: StageName) => names.deadLetterQueue(stage),
    },
  });
  return {
    bus: bus.name,
    stateTable: tables.state.name,
    auditTable: tables.audit.name,
    topic: topic.arn,
    dashboard: names.dashboard,
  };
}
