import { domainEvents } from "@aurora-restore/core/events/domain";
import { RDS_SOURCE } from "@aurora-restore/core/events/rds";
import type { StageDeclaration } from "@aurora-restore/core/wiring/stage-declaration";
import { subscriptionPlan } from "@aurora-restore/core/wiring/subscription-plan";

/** One event's lane of the pipeline diagram: who publishes it and which stages' rules deliver it to. */
export interface EventLane {
  event: string;
  description: string;
  bus: "pipeline" | "default";
  producers: string[];
  consumers: string[];
}

export interface PipelineGraph {
  stages: {
    name: string;
    description: string;
    reachesDatabase: boolean;
    schedule?: string;
    rules: string[];
  }[];
  lanes: EventLane[];
}

/**
 * The pipeline as deployed and run locally, from the stage declarations (their subscriptions, as
 * subscriptionPlan turns them into rules) and the contracts' producers: the same lists the stacks and the
 * local runtime are wired from, so the diagram cannot drift from them.
 */
export function pipelineGraph(stages: readonly StageDeclaration[]): PipelineGraph {
  const rules = subscriptionPlan(stages, { maximumRetryAttempts: 0, maximumEventAgeSeconds: 60 });
  const lanes: EventLane[] = domainEvents.map((contract) => ({
    event: contract.detailType,
    description: contract.description,
    bus: "pipeline",
    producers: [...contract.producers],
    consumers: stages
      .filter((s) =>
        s.subscriptions.some(
          (sub) => sub.bus === "pipeline" && sub.contracts.some((c) => c.detailType === contract.detailType),
        ),
      )
      .map((s) => s.name),
  }));
  for (const stage of stages) {
    for (const sub of stage.subscriptions) {
      if (sub.bus !== "default") continue;
      lanes.push({
        event: sub.description,
        description: "RDS event on the default bus",
        bus: "default",
        producers: [RDS_SOURCE],
        consumers: [stage.name],
      });
    }
    if (stage.schedule) {
      lanes.push({
        event: stage.schedule,
        description: "EventBridge schedule",
        bus: "default",
        producers: ["schedule"],
        consumers: [stage.name],
      });
    }
  }
  return {
    stages: stages.map((s) => ({
      name: s.name,
      description: s.description,
      reachesDatabase: s.reachesDatabase,
      ...(s.schedule ? { schedule: s.schedule } : {}),
      rules: rules.filter((r) => r.stage === s.name).map((r) => r.description),
    })),
    lanes,
  };
}
