import type { StageName } from "@aurora-restore/core";
import { subscriptionPlan } from "@aurora-restore/core";
import { sourceAccountIdsOf } from "@aurora-restore/functions/shared/deploy/policy-documents";
import { stages } from "@aurora-restore/functions/stages";
import { createBus } from "./bus";
import type { ResolvedStage } from "./config";
import { createStageKey } from "./encryption";
import { createFunctions } from "./functions";
import { createMonitoring } from "./monitoring";
import { type Deployment, deploymentNames, keyAliasArn, permissionContextFor } from "./names";
import { databaseNetworkFor } from "./network";
import { createDeadLetterQueues, createSubscriptions } from "./subscriptions";
import { needsCustomerKey } from "./table-schema";
import { createTables } from "./tables";
import { createTopic } from "./topic";

/**
 * The pipeline's account: key, tables, bus and archive, topic, one function per service, their rules,
 * dead-letter queues, the watcher's schedule, the dashboard and the alarms.
 */
export function targetStage(stage: ResolvedStage & { kind: "target" }) {
  const at: Deployment = {
    stage: stage.stage,
    partition: stage.partition,
    accountId: stage.accountId,
    region: stage.region,
  };
  const names = deploymentNames(stage.stage);
  const context = permissionContextFor(at, stage.planList);
  const tablesUseCustomerKey = needsCustomerKey(stage.planList);
  const network = stages.some((s) => s.reachesDatabase) ? databaseNetworkFor(stage) : undefined;

  const key = createStageKey(at);
  const tables = createTables({
    stage: stage.stage,
    production: stage.production,
    ...(tablesUseCustomerKey ? { customerKeyArn: key.arn } : {}),
  });
  const sourceAccountIds = sourceAccountIdsOf(stage);
  const bus = createBus({
    stage: stage.stage,
    archiveRetentionDays: stage.archiveRetentionDays,
    sourceAccountIds,
  });
  const topic = createTopic({ stage: stage.stage, keyArn: key.arn, email: stage.alarmEmail });

  const queues = createDeadLetterQueues(stage.stage, stages);
  const functions = createFunctions({
    at,
    stage,
    context,
    stages,
    network,
    encryption: { keyAliasArn: keyAliasArn(at), tablesUseCustomerKey },
    queues,
  });
  createSubscriptions({
    busName: bus.name,
    stages,
    rules: subscriptionPlan(stages, stage.delivery),
    functions,
    queues,
  });
  createMonitoring({
    dashboardName: names.dashboard,
    topicArn: topic.arn,
    deployment: {
      region: stage.region,
      stages,
      functionName: (service: StageName) => names.functionName(service),
      deadLetterQueueName: (service: StageName) => names.deadLetterQueue(service),
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
