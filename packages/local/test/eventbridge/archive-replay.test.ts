/** Archives (managed rule, on disk) and StartReplay (replay-name, never re-archived, FilterArns). */
import { describe, expect, it } from "vitest";
import { entry, newEventBridge, recorder } from "./helpers";

async function setup() {
  const ctx = newEventBridge();
  const { eb, runtime } = ctx;
  const bus = eb.createEventBus("pipeline");
  const stage = recorder("stage");
  const audit = recorder("audit");
  bus.putRule({ name: "stage", eventPattern: { source: ["app.test"] }, targets: [stage] });
  bus.putRule({ name: "audit", eventPattern: { source: ["app.test"] }, targets: [audit] });
  const archive = eb.createArchive({ archiveName: "pipeline-archive", eventSourceArn: bus.arn });
  // Three events a minute apart: 12:00, 12:01, 12:02.
  for (const n of [1, 2, 3]) {
    await bus.putEvents([entry({ n })]);
    runtime.advance(60_000);
  }
  await eb.drain();
  return { ...ctx, bus, stage, audit, archive };
}

describe("archives", () => {
  it("archive through a managed rule that excludes replayed events", async () => {
    const { eb, bus, archive } = await setup();
    const rule = bus.describeRule("Events-Archive-pipeline-archive");
    expect(rule.managedBy).toBe(archive.archiveArn);
    expect(JSON.parse(rule.eventPattern)).toEqual({ "replay-name": [{ exists: false }] });
    expect(eb.archivedEvents("pipeline-archive").map((r) => r.event.detail.n)).toEqual([1, 2, 3]);
  });

  it("applies the archive's own pattern and persists archives across restarts", async () => {
    const { eb, stateDir } = newEventBridge();
    const bus = eb.createEventBus("pipeline");
    eb.createArchive({
      archiveName: "only-2",
      eventSourceArn: bus.arn,
      eventPattern: { detail: { n: [2] } },
    });
    await bus.putEvents([entry({ n: 1 }), entry({ n: 2 })]);
    await eb.drain();
    expect(eb.archivedEvents("only-2").map((r) => r.event.detail.n)).toEqual([2]);

    const restarted = newEventBridge({ stateDir }).eb;
    expect(restarted.describeArchive("only-2")?.eventSourceArn).toBe(bus.arn);
    const again = restarted.createEventBus("pipeline"); // re-creating the bus re-installs the archive rule
    await again.putEvents([entry({ n: 2 })]);
    await restarted.drain();
    expect(restarted.archivedEvents("only-2")).toHaveLength(2);
  });

  it("refuses duplicates and unknown buses with AWS's errors", async () => {
    const { eb, bus } = await setup();
    expect(() => eb.createArchive({ archiveName: "pipeline-archive", eventSourceArn: bus.arn })).toThrow(
      "Archive pipeline-archive already exists.",
    );
    expect(() =>
      eb.createArchive({
        archiveName: "x",
        eventSourceArn: "arn:aws:events:eu-west-1:111111111111:event-bus/nope",
      }),
    ).toThrow("Event bus nope does not exist.");
  });
});

describe("StartReplay", () => {
  it("re-publishes events whose time is in the range, with replay-name, and never re-archives them", async () => {
    const { eb, bus, stage, audit, archive } = await setup();
    const originals = stage.received.map((e) => e.id);
    const started = eb.startReplay({
      replayName: "fix-1",
      eventSourceArn: archive.archiveArn,
      eventStartTime: new Date("2025-06-01T12:01:00Z"),
      eventEndTime: new Date("2025-06-01T12:03:00Z"),
      destination: { arn: bus.arn },
    });
    expect(started.state).toBe("STARTING");
    await eb.drain();
    const replayed = stage.received.slice(3);
    expect(replayed.map((e) => e.detail.n).sort()).toEqual([2, 3]);
    for (const event of replayed) {
      expect(event["replay-name"]).toBe("fix-1");
      // AWS places replay-name between region and resources.
      expect(Object.keys(event)).toEqual([
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "replay-name",
        "resources",
        "detail",
      ]);
      expect(originals).toContain(event.id);
    }
    expect(audit.received).toHaveLength(5);
    expect(eb.archivedEvents(archive.archiveName)).toHaveLength(3); // not re-archived
    expect(eb.describeReplay("fix-1")).toMatchObject({
      state: "COMPLETED",
      eventsReplayed: 2,
      eventLastReplayedTime: new Date("2025-06-01T12:03:00Z"),
    });
  });

  it("limits a replay to the rules in FilterArns (ARNs or names)", async () => {
    const { eb, bus, stage, audit, archive } = await setup();
    eb.startReplay({
      replayName: "stage-only",
      eventSourceArn: archive.archiveArn,
      eventStartTime: new Date("2025-06-01T00:00:00Z"),
      eventEndTime: new Date("2025-06-02T00:00:00Z"),
      destination: { arn: bus.arn, filterArns: [bus.describeRule("stage").arn] },
    });
    await eb.drain();
    expect(stage.received).toHaveLength(6);
    expect(audit.received).toHaveLength(3);
  });

  it("validates like AWS: time order, cross-bus, unknown archive, duplicate name", async () => {
    const { eb, bus, archive } = await setup();
    const base = {
      replayName: "r",
      eventSourceArn: archive.archiveArn,
      eventStartTime: new Date("2025-06-01T00:00:00Z"),
      eventEndTime: new Date("2025-06-02T00:00:00Z"),
      destination: { arn: bus.arn },
    };
    expect(() => eb.startReplay({ ...base, eventEndTime: base.eventStartTime })).toThrow(
      "EventStartTime must be before EventEndTime",
    );
    expect(() => eb.startReplay({ ...base, destination: { arn: eb.eventBus().arn } })).toThrow(
      "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.",
    );
    expect(() =>
      eb.startReplay({ ...base, eventSourceArn: "arn:aws:events:eu-west-1:111111111111:archive/nope" }),
    ).toThrow("Parameter EventSourceArn is not valid. Reason: Archive nope does not exist.");
    eb.startReplay(base);
    expect(() => eb.startReplay(base)).toThrow("Replay r already exists.");
    await eb.drain();
  });

  it("can be cancelled before it runs", async () => {
    const { eb, bus, stage, archive } = await setup();
    eb.startReplay({
      replayName: "cancelled",
      eventSourceArn: archive.archiveArn,
      eventStartTime: new Date("2025-06-01T00:00:00Z"),
      eventEndTime: new Date("2025-06-02T00:00:00Z"),
      destination: { arn: bus.arn },
    });
    expect(eb.cancelReplay("cancelled").state).toBe("CANCELLING");
    await eb.drain();
    expect(eb.describeReplay("cancelled").state).toBe("CANCELLED");
    expect(stage.received).toHaveLength(3);
    expect(() => eb.cancelReplay("cancelled")).toThrow("is not in a state that can be cancelled");
  });
});
