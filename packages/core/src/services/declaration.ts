import type { AnyDomainEventContract } from "../events/contract";
import type { StageName } from "../events/shapes";
import type { Plan } from "../plan/schema";

/** An IAM statement as the stacks will write it (no wildcard actions; see the policy tests). */
export interface PolicyStatement {
  actions: string[];
  resources: string[];
  /** Why a `*` resource is used, when it is (only where AWS offers no resource-level permission). */
  wildcardReason?: string;
  conditions?: Record<string, Record<string, string | string[]>>;
}

/** What a service's permissions are computed from: the deployment's resources and its plans. */
export interface PermissionContext {
  partition: string;
  accountId: string;
  region: string;
  plans: Plan[];
  stateTableArn: string;
  auditTableArn: string;
  busArn: string;
  topicArn: string;
}

export type Subscription =
  | { bus: "pipeline"; contracts: AnyDomainEventContract[] }
  | { bus: "default"; pattern: Record<string, unknown>; description: string };

/**
 * One service (stage) of the pipeline: what it subscribes to, where its handler is, whether it reaches
 * the database (VPC), and its permissions. The stacks and the local runtime are both wired from these.
 */
export interface ServiceDeclaration {
  name: StageName;
  description: string;
  /** Handler module relative to the repository root, SST style: "packages/functions/src/x/handler.handler". */
  handler: string;
  subscriptions: Subscription[];
  /** Rate for scheduled services (watcher), as an EventBridge schedule expression. */
  schedule?: string;
  /** Runs in the plan's VPC and trusts the RDS CA (NODE_EXTRA_CA_CERTS). */
  reachesDatabase: boolean;
  permissions(context: PermissionContext): PolicyStatement[];
}

/** The rule pattern of a pipeline subscription: derived from the contracts, never retyped. */
export function subscriptionPattern(subscription: Subscription): Record<string, unknown> {
  if (subscription.bus === "default") return subscription.pattern;
  const source = [...new Set(subscription.contracts.map((c) => c.source))];
  return { source, "detail-type": subscription.contracts.map((c) => c.detailType) };
}
