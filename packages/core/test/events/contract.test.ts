import { describe, expect, it } from "vitest";
import { ClusterAvailable, domainEvents, RestoreRequested } from "../../src/events/domain";
import { PIPELINE_SOURCE } from "../../src/events/names";

const meta = {
  operationId: "op-1",
  correlationId: "corr-1",
  causationId: "evt-0",
  occurredAt: "2026-11-28T03:00:00.000Z",
};

function envelope(entry: { Source: string; DetailType: string; Detail: string }, id = "evt-1") {
  return {
    version: "0",
    id,
    source: entry.Source,
    "detail-type": entry.DetailType,
    account: "222222222222",
    region: "eu-west-1",
    time: "2026-11-28T03:00:00Z",
    resources: [],
    detail: JSON.parse(entry.Detail),
  };
}

describe("event contracts", () => {
  it("declares each detail-type once, all on the pipeline source, with a version", () => {
    const names = domainEvents.map((c) => c.detailType);
    expect(new Set(names).size).toBe(names.length);
    for (const contract of domainEvents) {
      expect(contract.source).toBe(PIPELINE_SOURCE);
      expect(contract.version).toBeGreaterThanOrEqual(1);
      expect(contract.pattern()).toEqual({ source: [PIPELINE_SOURCE], "detail-type": [contract.detailType] });
    }
  });

  it("builds a PutEvents entry that the consumer parses back", () => {
    const detail = {
      ...meta,
      cluster: { clusterIdentifier: "staging-next", accountId: "222222222222", region: "eu-west-1" },
      endpoint: { host: "127.0.0.1", port: 5433 },
    };
    const entry = ClusterAvailable.entry(detail, { busName: "aurora-restore" });
    expect(entry).toMatchObject({
      Source: PIPELINE_SOURCE,
      DetailType: ClusterAvailable.detailType,
      EventBusName: "aurora-restore",
    });
    expect(entry.Time?.toISOString()).toBe(meta.occurredAt);
    const parsed = ClusterAvailable.parseEnvelope({ ...envelope(entry), "replay-name": "replay-1" });
    expect(parsed.detail).toEqual({ ...detail, schemaVersion: 1 });
    expect(parsed).toMatchObject({ id: "evt-1", replayName: "replay-1", account: "222222222222" });
    expect(ClusterAvailable.parse(envelope(entry))).toEqual({ ...detail, schemaVersion: 1 });
  });

  it("refuses to publish an invalid event and says which field is wrong", () => {
    expect(() => RestoreRequested.entry({ ...meta } as never, { busName: "aurora-restore" })).toThrow(
      /Refusing to publish an invalid RestoreRequested[\s\S]*planId/,
    );
  });

  it("rejects an event of another contract or with a bad detail", () => {
    const entry = ClusterAvailable.entry(
      {
        ...meta,
        cluster: { clusterIdentifier: "c", accountId: "222222222222", region: "eu-west-1" },
        endpoint: { host: "h", port: 1 },
      },
      { busName: "b" },
    );
    expect(() => RestoreRequested.parseEnvelope(envelope(entry))).toThrow();
    const broken = envelope(entry);
    broken.detail.endpoint.port = "5432";
    expect(() => ClusterAvailable.parse(broken)).toThrow(/Failed to parse EventBridge envelope/);
  });
});
