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

/** What a stage's permissions are computed from: the deployment's resources and its plans. */
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

export type PipelineSubscription<C extends AnyDomainEventContract = AnyDomainEventContract> = {
  bus: "pipeline";
  contracts: readonly C[];
};
/** A subscription on the default bus: RDS's own events, matched by a pattern. */
export type RdsSubscription = { bus: "default"; pattern: Record<string, unknown>; description: string };
export type Subscription = PipelineSubscription | RdsSubscription;

/**
 * The AWS ports of StageDeps a stage uses besides the store, audit log and plans every stage has. The
 * database port is not among them: a stage has it when it `reachesDatabase`.
 */
export const awsStagePorts = ["publisher", "rds", "kms", "secrets", "notifications"] as const;
export type AwsStagePort = (typeof awsStagePorts)[number];
/** The ports a stage may go without: its AWS ports and the database. */
export const optionalStagePorts = [...awsStagePorts, "database"] as const;
export type OptionalStagePort = (typeof optionalStagePorts)[number];

/**
 * One stage of the pipeline: what it subscribes to, where its handler is, whether it reaches the database
 * (VPC), the AWS ports it uses, and its permissions. The stacks, the local runtime and the stage's handler
 * are all built from it.
 */
export interface StageDeclaration<
  S extends readonly Subscription[] = readonly Subscription[],
  Schedule extends string | undefined = string | undefined,
  Ports extends readonly AwsStagePort[] = readonly AwsStagePort[],
  ReachesDatabase extends boolean = boolean,
> {
  name: StageName;
  description: string;
  /** Handler module relative to the repository root, SST style: "packages/functions/src/x/handler.handler". */
  handler: string;
  subscriptions: S;
  /** Rate for scheduled stages (watcher), as an EventBridge schedule expression. */
  schedule?: Schedule;
  /** Runs in the plan's VPC and trusts the RDS CA (NODE_EXTRA_CA_CERTS); it alone has the database port. */
  reachesDatabase: ReachesDatabase;
  /**
   * The AWS ports its domain functions use (the runtime gives it no other: using one throws), and so the
   * only SDK clients its Lambda bundle holds.
   */
  ports: Ports;
  permissions(context: PermissionContext): PolicyStatement[];
}

/**
 * Declares a stage keeping its subscriptions' exact contracts in the type, so the handler built from the
 * declaration (functions' stageHandler) must give one function per subscribed contract, and no other.
 */
export function defineStage<
  const S extends readonly Subscription[],
  const Ports extends readonly AwsStagePort[],
  const ReachesDatabase extends boolean,
  const Schedule extends string | undefined = undefined,
>(
  declaration: StageDeclaration<S, Schedule, Ports, ReachesDatabase>,
): StageDeclaration<S, Schedule, Ports, ReachesDatabase> {
  return declaration;
}

/** The pipeline contracts a declaration subscribes to, as a union. */
export type SubscribedContract<D extends StageDeclaration> = D["subscriptions"][number] extends infer S
  ? S extends PipelineSubscription<infer C>
    ? C
    : never
  : never;

/** Whether a declaration subscribes to RDS events on the default bus. */
export type SubscribesToRds<D extends StageDeclaration> = [
  Extract<D["subscriptions"][number], { bus: "default" }>,
] extends [never]
  ? false
  : true;

/** Whether a declaration has a schedule. */
export type IsScheduled<D extends StageDeclaration> = [NonNullable<D["schedule"]>] extends [never]
  ? false
  : true;

/** The optional ports a declaration asks for, as a union. */
export type DeclaredPort<D extends StageDeclaration> =
  | D["ports"][number]
  | (D["reachesDatabase"] extends true ? "database" : never);

/** The optional ports a declaration asks for, at run time. */
export function declaredPorts(declaration: StageDeclaration): OptionalStagePort[] {
  return [...declaration.ports, ...(declaration.reachesDatabase ? (["database"] as const) : [])];
}

/** The pipeline contracts of a declaration, at run time. */
export function subscribedContracts(declaration: StageDeclaration): AnyDomainEventContract[] {
  return declaration.subscriptions.flatMap((s) => (s.bus === "pipeline" ? [...s.contracts] : []));
}

/** The rule pattern of a pipeline subscription: derived from the contracts, never retyped. */
export function subscriptionPattern(subscription: Subscription): Record<string, unknown> {
  if (subscription.bus === "default") return subscription.pattern;
  const source = [...new Set(subscription.contracts.map((c) => c.source))];
  return { source, "detail-type": subscription.contracts.map((c) => c.detailType) };
}
