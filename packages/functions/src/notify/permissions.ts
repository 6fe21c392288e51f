import type { PermissionContext, PolicyStatement } from "@aurora-restore/core/wiring/stage-declaration";
import { storageStatements } from "../shared/permissions";

/**
 * Publishes to the deployment's topic and to each plan's own topic. The stacks add the deployment topic's
 * key (through SNS only) to any function that publishes to that topic (stacks/iam.ts).
 */
export function permissions(context: PermissionContext): PolicyStatement[] {
  const topics = [context.topicArn, ...context.plans.map((plan) => plan.notificationTopicArn)];
  return [...storageStatements(context), { actions: ["sns:Publish"], resources: [...new Set(topics)] }];
}
