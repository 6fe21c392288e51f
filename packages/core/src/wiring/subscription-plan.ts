import type { StageName } from "../events/shapes";
import { type StageDeclaration, subscriptionPattern } from "./stage-declaration";

/**
 * What a deployment wires, computed from the stage declarations alone: one EventBridge rule per
 * subscription (pattern from the contracts), one per schedule, each targeting its stage's function with a
 * retry policy and the stage's dead-letter queue. The stacks and the local runtime both wire this plan.
 */

export interface DeliveryPolicy {
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
}

export type RuleTrigger =
  | { kind: "pattern"; pattern: Record<string, unknown> }
  | { kind: "schedule"; expression: string };

export interface PlannedRule {
  /** Stable logical name of the rule's resources, e.g. `PrepareRule0`. */
  id: string;
  stage: StageName;
  handler: string;
  /** Scheduled rules live on the default bus. */
  bus: "pipeline" | "default";
  trigger: RuleTrigger;
  description: string;
  /** Events the target could not take (after the retries) go to this stage's queue. */
  deadLetterQueue: StageName;
  delivery: DeliveryPolicy;
}

export function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
}

export function subscriptionPlan(
  stages: readonly StageDeclaration[],
  delivery: DeliveryPolicy,
): PlannedRule[] {
  return stages.flatMap((stage) => {
    const common = {
      stage: stage.name,
      handler: stage.handler,
      deadLetterQueue: stage.name,
      delivery,
    };
    const rules: PlannedRule[] = stage.subscriptions.map((subscription, index) => ({
      ...common,
      id: `${pascal(stage.name)}Rule${index}`,
      bus: subscription.bus,
      trigger: { kind: "pattern", pattern: subscriptionPattern(subscription) },
      description:
        subscription.bus === "default"
          ? `${stage.name}: ${subscription.description}`
          : `${stage.name}: ${subscription.contracts.map((c) => c.detailType).join(", ")}`,
    }));
    if (stage.schedule) {
      rules.push({
        ...common,
        id: `${pascal(stage.name)}Schedule`,
        bus: "default",
        trigger: { kind: "schedule", expression: stage.schedule },
        description: `${stage.name}: ${stage.schedule}`,
      });
    }
    return rules;
  });
}

/** EventBridge's rule description limit. */
export const RULE_DESCRIPTION_LIMIT = 512;
