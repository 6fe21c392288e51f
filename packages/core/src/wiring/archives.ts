import { type StageDeclaration, subscriptionPattern } from "./stage-declaration";

/**
 * The archives a deployment keeps for replay, computed from the stage declarations like the rules: the
 * pipeline bus's every event, and on the default bus the RDS events the stages subscribe to (a snapshot
 * event that was missed, or that arrived while the pipeline was broken, can be replayed). A replay goes to
 * the archive's own bus only, so replayed RDS events reach the stages through the default bus's rules.
 * The stacks deploy them (stacks/bus.ts) and the local runtime creates them (pipeline-archives.ts).
 */

export type ArchiveKey = "pipeline" | "rds";

export interface ArchiveDeclaration {
  key: ArchiveKey;
  /** The archive's source bus: the pipeline's custom bus or the pipeline account's default bus. */
  bus: "pipeline" | "default";
  /** Undefined archives every event of the bus. */
  eventPattern?: Record<string, unknown>;
  description: string;
}

/** Every pattern the stages subscribe to on the default bus (RDS's events), each once. */
export function rdsSubscriptionPatterns(stages: readonly StageDeclaration[]): Record<string, unknown>[] {
  const patterns = stages.flatMap((s) => s.subscriptions.filter((x) => x.bus === "default"));
  const unique = new Map(
    patterns.map((p) => [JSON.stringify(subscriptionPattern(p)), subscriptionPattern(p)]),
  );
  return [...unique.values()];
}

/** One pattern matching exactly what any RDS subscription matches: `$or` of them when there are several. */
export function rdsArchivePattern(stages: readonly StageDeclaration[]): Record<string, unknown> {
  const patterns = rdsSubscriptionPatterns(stages);
  if (patterns.length === 0)
    throw new Error("No stage subscribes to RDS events: there is nothing to archive");
  return patterns.length === 1 ? patterns[0]! : { $or: patterns };
}

/** The archives, the RDS one only when a stage subscribes to RDS events (every real deployment does). */
export function deploymentArchives(stages: readonly StageDeclaration[]): ArchiveDeclaration[] {
  const pipeline: ArchiveDeclaration = {
    key: "pipeline",
    bus: "pipeline",
    description: "Every event of the pipeline bus, for replay",
  };
  if (rdsSubscriptionPatterns(stages).length === 0) return [pipeline];
  return [
    pipeline,
    {
      key: "rds",
      bus: "default",
      eventPattern: rdsArchivePattern(stages),
      description: "The RDS events the pipeline subscribes to, for replay to the default bus",
    },
  ];
}
