import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { StageName } from "@aurora-restore/core/events/shapes";
import type { AccountRegion } from "@aurora-restore/core/ports/index";
import type { StageDeps } from "@aurora-restore/core/stages/kit";
import {
  rdsSubscriptionPatterns,
  type StageDeclaration,
  subscriptionPlan,
} from "@aurora-restore/core/wiring/index";
import type { EventBridgeEvent, EventBus, LocalEventBridge, RetryPolicy } from "../eventbridge/index";

/** What a stage's handler module exports (packages/functions/src/<stage>/handler.ts). */
export interface StageHandlerModule {
  handle(event: unknown, deps: StageDeps): Promise<unknown>;
}

const repositoryRoot = fileURLToPath(new URL("../../../../", import.meta.url));

/** "packages/functions/src/x/handler.handler" (SST style) -> the module file, absolute. */
export function handlerModuleFile(stage: Pick<StageDeclaration, "name" | "handler">): string {
  const match = /^(.+)\.([A-Za-z_$][\w$]*)$/.exec(stage.handler);
  if (!match?.[1]) {
    throw new Error(
      `Stage ${stage.name}: handler '${stage.handler}' is not '<module path>.<export>' (e.g. packages/functions/src/${stage.name}/handler.handler)`,
    );
  }
  return resolve(repositoryRoot, `${match[1]}.ts`);
}

/** Imports the same handler module the Lambda runs; it must export `handle(event, deps)`. */
export async function importStageHandler(stage: StageDeclaration): Promise<StageHandlerModule> {
  const file = handlerModuleFile(stage);
  let loaded: Partial<StageHandlerModule>;
  try {
    loaded = (await import(pathToFileURL(file).href)) as Partial<StageHandlerModule>;
  } catch (error) {
    throw new Error(`Stage ${stage.name}: cannot load its handler ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (typeof loaded.handle !== "function") {
    throw new Error(`Stage ${stage.name}: ${file} does not export handle(event, deps)`);
  }
  return loaded as StageHandlerModule;
}

/** One rule to create: on which bus (the pipeline's custom bus or its account's default bus), with what pattern. */
export interface SubscriptionRule {
  stage: StageName;
  ruleName: string;
  bus: "pipeline" | "default";
  pattern: Record<string, unknown>;
}

/**
 * The rules the stages' declarations ask for, from the same subscription plan the stacks deploy
 * account's default bus, where other accounts forward their RDS events as in AWS. Schedules are run by
 * WatcherSchedule, not by rules.
 */
export function subscriptionRules(stages: readonly StageDeclaration[]): SubscriptionRule[] {
  const planned = subscriptionPlan(stages, { maximumRetryAttempts: 4, maximumEventAgeSeconds: 600 });
  return planned.flatMap((rule) => {
    if (rule.trigger.kind !== "pattern") return [];
    return [
      {
        stage: rule.stage,
        pattern: rule.trigger.pattern,
        ruleName: `aurora-restore-${rule.id}`,
        bus: rule.bus,
      },
    ];
  });
}

/** The patterns another account's default bus forwards to the pipeline bus: every RDS pattern a stage reads. */
export function forwardedPatterns(stages: readonly StageDeclaration[]): Record<string, unknown>[] {
  return rdsSubscriptionPatterns(stages);
}

export interface WiringInput {
  pipelineBus: EventBus;
  pipelineDefaultBus: EventBus;
  stages: readonly StageDeclaration[];
  handlers: ReadonlyMap<string, StageHandlerModule>;
  deps(stage: StageName): StageDeps;
  retryPolicy: Partial<RetryPolicy>;
  /** Told about each failed invocation (it is then retried, and dead-lettered when retries run out). */
  onFailure(stage: StageName, event: EventBridgeEvent, error: unknown): void;
}

export function wireStages(input: WiringInput): SubscriptionRule[] {
  const rules = subscriptionRules(input.stages);
  for (const rule of rules) {
    const handler = input.handlers.get(rule.stage);
    if (!handler) throw new Error(`No handler loaded for stage ${rule.stage}`);
    const deps = input.deps(rule.stage);
    const bus = rule.bus === "pipeline" ? input.pipelineBus : input.pipelineDefaultBus;
    bus.putRule({
      name: rule.ruleName,
      eventPattern: rule.pattern,
      description: `Delivers to the ${rule.stage} stage`,
      targets: [
        {
          id: rule.stage,
          retryPolicy: input.retryPolicy,
          invoke: async (event) => {
            try {
              await handler.handle(event, deps);
            } catch (error) {
              input.onFailure(rule.stage, event, error);
              throw error;
            }
          },
        },
      ],
    });
  }
  return rules;
}

/**
 * A forwarding rule per pattern on `from`'s default bus, to the pipeline account's default bus, as the
 * source-account stack sets up in AWS (stacks/source-deployment.ts).
 */
export function forwardToPipeline(
  bridge: LocalEventBridge,
  from: AccountRegion,
  pipelineDefaultBus: EventBus,
  patterns: readonly Record<string, unknown>[],
): void {
  // The pipeline account's own default bus delivers to the stages directly (see subscriptionRules).
  if (from.accountId === pipelineDefaultBus.account && from.region === pipelineDefaultBus.region) return;
  const bus = bridge.eventBus("default", { account: from.accountId, region: from.region });
  patterns.forEach((pattern, index) => {
    bus.putRule({
      name: `aurora-restore-forward-${index + 1}`,
      eventPattern: pattern,
      description: "Forwards RDS events to the aurora-restore pipeline account",
      targets: [{ id: "aurora-restore-pipeline-account", arn: pipelineDefaultBus.arn }],
    });
  });
}
