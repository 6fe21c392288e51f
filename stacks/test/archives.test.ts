import {
  deploymentArchives,
  RDS_SOURCE,
  rdsArchivePattern,
  rdsDetailTypes,
  rdsEventIds,
  subscriptionPlan,
} from "@aurora-restore/core";
import { stages } from "@aurora-restore/functions/stages";
import { testEventPattern, validatePattern } from "@aurora-restore/local";
import { describe, expect, it } from "vitest";

const defaultBusRules = subscriptionPlan(stages, {
  maximumRetryAttempts: 185,
  maximumEventAgeSeconds: 86_400,
})
  .filter((r) => r.bus === "default")
  .flatMap((r) => (r.trigger.kind === "pattern" ? [r.trigger.pattern] : []));

/** Every RDS event the pipeline knows, in every detail-type and category: what the default bus may carry. */
const rdsEvents = Object.values(rdsDetailTypes).flatMap((detailType) =>
  Object.values(rdsEventIds).flatMap((eventId) =>
    ["backup", "creation", "deletion", "notification"].map((category) => ({
      version: "0",
      id: "7bf73129-1428-4cd3-a780-95db273d1602",
      "detail-type": detailType,
      source: RDS_SOURCE,
      account: "222222222222",
      time: "2025-01-01T00:00:00Z",
      region: "eu-west-1",
      resources: [],
      detail: { EventCategories: [category], EventID: eventId },
    })),
  ),
);

describe("the archives the stacks deploy", () => {
  const archives = deploymentArchives(stages);

  it("keep every event of the pipeline bus, and the RDS events on the default bus", () => {
    expect(archives.map((a) => [a.key, a.bus, a.eventPattern === undefined])).toEqual([
      ["pipeline", "pipeline", true],
      ["rds", "default", false],
    ]);
  });

  it("archive exactly the RDS events some stage's rule on the default bus receives, with a valid pattern", () => {
    const pattern = archives.find((a) => a.key === "rds")!.eventPattern!;
    expect(pattern).toEqual(rdsArchivePattern(stages));
    expect(() => validatePattern(pattern)).not.toThrow();
    const received = rdsEvents.filter((e) => defaultBusRules.some((rule) => testEventPattern(rule, e)));
    expect(received.length).toBeGreaterThan(0);
    expect(rdsEvents.filter((e) => testEventPattern(pattern, e))).toEqual(received);
  });

  it("keep the snapshot-created events a missed refresh is replayed from, and not the 'creating' ones", () => {
    const pattern = rdsArchivePattern(stages);
    const snapshot = (eventId: string) =>
      rdsEvents.find(
        (e) =>
          e["detail-type"] === rdsDetailTypes.clusterSnapshot &&
          e.detail.EventID === eventId &&
          e.detail.EventCategories[0] === "backup",
      )!;
    expect(testEventPattern(pattern, snapshot(rdsEventIds.automatedSnapshotCreated))).toBe(true);
    expect(testEventPattern(pattern, snapshot(rdsEventIds.manualSnapshotCreated))).toBe(true);
    expect(testEventPattern(pattern, snapshot(rdsEventIds.automatedSnapshotCreating))).toBe(false);
  });
});
