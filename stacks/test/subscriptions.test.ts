import {
  domainEvents,
  type PlannedRule,
  RDS_SOURCE,
  rdsDetailTypes,
  rdsEventIds,
  subscriptionPattern,
  subscriptionPlan,
} from "@aurora-restore/core";
import { stages } from "@aurora-restore/functions/stages";
import { testEventPattern, validatePattern } from "@aurora-restore/local";
import { subscriptionRules } from "@aurora-restore/local/runtime/stage-wiring";
import { describe, expect, it } from "vitest";

const delivery = { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 };
const plan = subscriptionPlan(stages, delivery);
const patternRules = plan.filter(
  (r): r is PlannedRule & { trigger: { kind: "pattern" } } => r.trigger.kind === "pattern",
);

function envelope(source: string, detailType: string, detail: Record<string, unknown>) {
  return {
    version: "0",
    id: "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": detailType,
    source,
    account: "222222222222",
    time: "2025-01-01T00:00:00Z",
    region: "eu-west-1",
    resources: [],
    detail,
  };
}

/** The stages whose planned rules match an event, by AWS pattern semantics (the local EventBridge's). */
function receivers(event: unknown): string[] {
  return [
    ...new Set(patternRules.filter((r) => testEventPattern(r.trigger.pattern, event)).map((r) => r.stage)),
  ];
}

describe("the subscription plan the stacks deploy", () => {
  it("has exactly one rule per declared subscription, with the pattern derived from its contracts", () => {
    const declared = stages.flatMap((stage) =>
      stage.subscriptions.map((subscription) => ({
        stage: stage.name,
        bus: subscription.bus,
        pattern: subscriptionPattern(subscription),
      })),
    );
    const planned = patternRules.map((r) => ({ stage: r.stage, bus: r.bus, pattern: r.trigger.pattern }));
    expect(planned).toEqual(declared);
  });

  it("gives every rule its stage's handler, dead-letter queue and the deployment's retry policy", () => {
    for (const rule of plan) {
      const stage = stages.find((s) => s.name === rule.stage);
      expect(rule.handler).toBe(stage?.handler);
      expect(rule.deadLetterQueue).toBe(rule.stage);
      expect(rule.delivery).toEqual(delivery);
    }
    expect(new Set(plan.map((r) => r.id)).size).toBe(plan.length);
  });

  it("schedules exactly the stages that declare a schedule, on the default bus", () => {
    const schedules = plan.filter((r) => r.trigger.kind === "schedule");
    expect(schedules.map((r) => [r.stage, r.bus, r.trigger])).toEqual(
      stages
        .filter((s) => s.schedule)
        .map((s) => [s.name, "default", { kind: "schedule", expression: s.schedule }]),
    );
    expect(schedules.length).toBeGreaterThan(0);
  });

  it("uses only patterns EventBridge accepts", () => {
    for (const rule of patternRules) expect(() => validatePattern(rule.trigger.pattern)).not.toThrow();
  });

  it("delivers each domain event to exactly the stages that subscribe to its contract", () => {
    for (const contract of domainEvents) {
      const expected = stages
        .filter((s) =>
          s.subscriptions.some((sub) => sub.bus === "pipeline" && sub.contracts.includes(contract)),
        )
        .map((s) => s.name);
      expect(receivers(envelope(contract.source, contract.detailType, {})), contract.detailType).toEqual(
        expected,
      );
    }
  });

  it("sends RDS's automated and manual snapshot-created events to trigger only, and not their 'creating' events", () => {
    const snapshot = (eventId: string) =>
      envelope(RDS_SOURCE, rdsDetailTypes.clusterSnapshot, { EventCategories: ["backup"], EventID: eventId });
    expect(receivers(snapshot(rdsEventIds.automatedSnapshotCreated))).toEqual(["trigger"]);
    expect(receivers(snapshot(rdsEventIds.manualSnapshotCreated))).toEqual(["trigger"]);
    expect(receivers(snapshot(rdsEventIds.automatedSnapshotCreating))).toEqual([]);
    const cluster = envelope(RDS_SOURCE, rdsDetailTypes.cluster, {
      EventCategories: ["creation"],
      EventID: rdsEventIds.clusterCreated,
    });
    expect(receivers(cluster)).toEqual(["watcher"]);
  });
});

describe("the local runtime wires the same plan", () => {
  it("creates a local rule for every planned rule (same stage, bus and pattern) and no other", () => {
    const local = subscriptionRules(stages);
    const key = (r: { stage: string; bus: string; pattern: unknown }) =>
      JSON.stringify([r.stage, r.bus, r.pattern]);
    // Same stages, buses and patterns: other accounts forward their RDS events to the pipeline account's
    // default bus locally too, so no extra rule is needed.
    expect(local.map(key).sort()).toEqual(
      patternRules.map((r) => key({ stage: r.stage, bus: r.bus, pattern: r.trigger.pattern })).sort(),
    );
  });
});
