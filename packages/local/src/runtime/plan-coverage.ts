import type { Plan, PlanTarget } from "@aurora-restore/core/plan/index";
import type { AccountRegion } from "@aurora-restore/core/ports/index";

/**
 * The planned targets a new snapshot of a cluster refreshes: the plans whose source is that cluster and
 * whose trigger takes every snapshot of that type. The trigger stage decides this itself when the snapshot's
 * event arrives (core's stages/trigger, onRdsEvent); the CLI asks here to know which operations to follow.
 */
export function targetsRefreshedBy(
  plans: readonly Plan[],
  snapshot: AccountRegion & { clusterIdentifier: string; type: "automated" | "manual" },
): { plan: Plan; target: PlanTarget }[] {
  return plans
    .filter(
      (plan) =>
        plan.source.accountId === snapshot.accountId &&
        plan.source.region === snapshot.region &&
        plan.source.clusterIdentifier === snapshot.clusterIdentifier &&
        plan.trigger.type === "every-snapshot" &&
        plan.trigger.snapshotTypes.includes(snapshot.type),
    )
    .flatMap((plan) => plan.targets.map((target) => ({ plan, target })));
}

/** When a plan refreshes its targets, in words: "every automated or manual snapshot", "rate(1 day)". */
export function triggerText(plan: Plan): string {
  if (plan.trigger.type === "schedule") return `schedule ${plan.trigger.expression}`;
  return `every ${plan.trigger.snapshotTypes.join(" or ")} snapshot`;
}

const place = (c: AccountRegion & { clusterIdentifier: string }) =>
  `${c.clusterIdentifier} (${c.accountId}, ${c.region})`;

/**
 * What a plan does, in one sentence: "every automated or manual snapshot of production-db (111111111111,
 * us-east-1) refreshes staging-db (222222222222, eu-west-1)"; `verb` says it otherwise ("no longer refreshes").
 */
export function planSentence(plan: Plan, verb = "refreshes"): string {
  const targets = plan.targets.map(place).join(", ");
  if (plan.trigger.type === "schedule") {
    return `on ${plan.trigger.expression}, the latest snapshot of ${place(plan.source)} ${verb} ${targets}`;
  }
  return `every ${plan.trigger.snapshotTypes.join(" or ")} snapshot of ${place(plan.source)} ${verb} ${targets}`;
}
