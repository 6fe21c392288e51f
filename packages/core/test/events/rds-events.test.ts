import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  RDS_SOURCE,
  rdsDetailTypes,
  rdsEventIds,
  rdsEventSchema,
  snapshotCreatedPattern,
} from "../../src/events/rds";

const folder = resolve(import.meta.dirname, "../../../../../shared/conformance/rds-events");
const present = existsSync(folder);
if (!present) console.warn(`RDS event payloads not found at ${folder}: conformance cases skipped`);

const payloads = present
  ? readdirSync(folder)
      .filter((f) => f.endsWith(".json"))
      .map((file) => ({ file, data: JSON.parse(readFileSync(join(folder, file), "utf8")) }))
      .filter(({ data }) => data.event)
  : [];
const handled: string[] = Object.values(rdsDetailTypes);

describe.skipIf(!present)("RDS event schemas against ../shared/conformance/rds-events", () => {
  it("has payloads to check", () => {
    expect(payloads.length).toBeGreaterThanOrEqual(8);
  });

  it.each(
    payloads
      .filter(({ data }) => handled.includes(data.event["detail-type"]))
      .map((p) => [p.file, p.data.event]),
  )("parses %s", (_file, event) => {
    const parsed = rdsEventSchema.parse(event);
    expect(parsed.detail.EventID).toMatch(/^RDS-EVENT-\d{4}$/);
    expect(parsed.resources).toContain(parsed.detail.SourceArn);
  });

  it.each(
    payloads
      .filter(({ data }) => !handled.includes(data.event["detail-type"]))
      .map((p) => [p.file, p.data.event]),
  )("does not take %s for one of its events", (_file, event) => {
    expect(rdsEventSchema.safeParse(event).success).toBe(false);
  });

  it("finds the snapshot-created events by EventID in category backup", () => {
    const pattern = snapshotCreatedPattern();
    const created = payloads.filter(({ data }) =>
      pattern.detail.EventID?.includes(data.event.detail.EventID),
    );
    expect(created.map((p) => p.data.event.detail.EventID).sort()).toEqual([
      rdsEventIds.manualSnapshotCreated,
      rdsEventIds.automatedSnapshotCreated,
    ]);
    for (const { data } of created)
      expect(data.event.detail.EventCategories).toEqual(pattern.detail.EventCategories);
  });
});

describe("RDS event schemas", () => {
  it("rejects an event whose SourceType does not match its detail-type", () => {
    const event = {
      version: "0",
      id: "1",
      "detail-type": rdsDetailTypes.clusterSnapshot,
      source: RDS_SOURCE,
      account: "111111111111",
      time: "2026-11-28T03:00:00Z",
      region: "us-east-1",
      resources: ["arn:aws:rds:us-east-1:111111111111:cluster:prod"],
      detail: {
        EventCategories: ["backup"],
        SourceType: "CLUSTER",
        SourceArn: "arn:aws:rds:us-east-1:111111111111:cluster:prod",
        SourceIdentifier: "prod",
        Date: "2026-11-28T03:00:00.000Z",
        Message: "x",
        EventID: "RDS-EVENT-0169",
      },
    };
    expect(rdsEventSchema.safeParse(event).success).toBe(false);
  });

  it("refuses an event category that is not lowercase words (a forged ARN, upper case, markup)", () => {
    const event = (category: string) => ({
      version: "0",
      id: "1",
      "detail-type": rdsDetailTypes.clusterSnapshot,
      source: RDS_SOURCE,
      account: "111111111111",
      time: "2026-11-28T03:00:00Z",
      region: "us-east-1",
      resources: ["arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rds:prod-2026-11-28-03-00"],
      detail: {
        EventCategories: [category],
        SourceType: "CLUSTER_SNAPSHOT",
        SourceArn: "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rds:prod-2026-11-28-03-00",
        SourceIdentifier: "rds:prod-2026-11-28-03-00",
        Date: "2026-11-28T03:00:00.000Z",
        Message: "Automated cluster snapshot created",
        EventID: "RDS-EVENT-0169",
      },
    });
    expect(rdsEventSchema.safeParse(event("backup")).success).toBe(true);
    expect(rdsEventSchema.safeParse(event("configuration change")).success).toBe(true);
    for (const bad of ["arn:awsevil:kms:eu-west-1:222222222222:key/k", "Backup", "<b>backup</b>"]) {
      expect(rdsEventSchema.safeParse(event(bad)).success, bad).toBe(false);
    }
  });
});
