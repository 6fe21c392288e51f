import { type ServiceDeclaration, type StageName, subscriptionPattern } from "@aurora-restore/core";

/**
 * What the stacks wire, computed from the service declarations alone: one EventBridge rule per
 * subscription (pattern from the contracts), one per schedule, each targeting its service's function
 * with a retry policy and the service's dead-letter queue. The local runtime wires the same declarations.
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
  service: StageName;
  handler: string;
  /** Scheduled rules live on the default bus. */
  bus: "pipeline" | "default";
  trigger: RuleTrigger;
  description: string;
  /** Events the target could not take (after the retries) go to this service's queue. */
  deadLetterQueue: StageName;
  delivery: DeliveryPolicy;
}

export function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
}

export function subscriptionPlan(
  services: readonly ServiceDeclaration[],
  delivery: DeliveryPolicy,
): PlannedRule[] {
  return services.flatMap((service) => {
    const common = {
      service: service.name,
      handler: service.handler,
      deadLetterQueue: service.name,
      delivery,
    };
    const rules: PlannedRule[] = service.subscriptions.map((subscription, index) => ({
      ...common,
      id: `${pascal(service.name)}Rule${index}`,
      bus: subscription.bus,
      trigger: { kind: "pattern", pattern: subscriptionPattern(subscription) },
      description:
        subscription.bus === "default"
          ? `${service.name}: ${subscription.description}`
          : `${service.name}: ${subscription.contracts.map((c) => c.detailType).join(", ")}`,
    }));
    if (service.schedule) {
      rules.push({
        ...common,
        id: `${pascal(service.name)}Schedule`,
        bus: "default",
        trigger: { kind: "schedule", expression: service.schedule },
        description: `${service.name}: ${service.schedule}`,
      });
    }
    return rules;
  });
}

/** EventBridge's rule description limit. */
export const RULE_DESCRIPTION_LIMIT = 512;
