import "aws-sdk-client-mock-vitest/extend";
import {
  DescribeArchiveCommand,
  DescribeReplayCommand,
  EventBridgeClient,
  StartReplayCommand,
} from "@aws-sdk/client-eventbridge";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { fakeTables, names, onStage, operation, run } from "./support";

const tables = fakeTables();
const events = mockClient(EventBridgeClient);
const archiveArn = `arn:aws:events:eu-west-1:222222222222:archive/${names.archive}`;
const busArn = `arn:aws:events:eu-west-1:222222222222:event-bus/${names.bus}`;
const window = ["--from", "2025-03-14T02:00:00Z", "--to", "2025-03-14T03:00:00Z", "--settle-seconds", "0"];
const startedAt = new Date("2025-03-20T09:00:00.000Z");

/** An audit entry as a stage writes it when it handles a (replayed) event. */
async function audited(
  operationId: string,
  at: string,
  eventId: string,
  stage: string,
  outcome: "ignored-duplicate" | "succeeded" | "started",
) {
  await tables.audit.append(
    {
      operationId,
      targetKey: "222222222222/eu-west-1/staging-db",
      stage,
      action: `receive ${stage}`,
      actor: stage,
      outcome,
      eventId,
    },
    { at, compliance: "default" },
  );
}

beforeEach(async () => {
  tables.reset({ empty: true });
  events.reset();
  events
    .on(DescribeArchiveCommand)
    .resolves({ ArchiveArn: archiveArn, EventSourceArn: busArn, State: "ENABLED" });
  events.on(StartReplayCommand).resolves({ State: "STARTING", ReplayStartTime: startedAt });
  await tables.putOperation(operation("manual-1"));
  await tables.putOperation(operation("manual-2"));
  // Before the replay: not in the report.
  await audited("manual-1", "2025-03-14T02:10:00.000Z", "ev-live", "copy", "succeeded");
  // Written by the replayed events.
  await audited("manual-1", "2025-03-20T09:00:05.000Z", "ev-r1", "copy", "ignored-duplicate");
  await audited("manual-1", "2025-03-20T09:00:06.000Z", "ev-r2", "restore", "started");
  await audited("manual-2", "2025-03-20T09:00:07.000Z", "ev-r3", "verify", "ignored-duplicate");
});
afterAll(() => {
  tables.mock.restore();
  events.restore();
});

describe("replay --stage", () => {
  it("replays the window from the archive to its bus, follows STARTING, RUNNING, COMPLETED, then reports what each event did", async () => {
    events
      .on(DescribeReplayCommand)
      .resolvesOnce({ State: "STARTING", ReplayStartTime: startedAt })
      .resolvesOnce({
        State: "RUNNING",
        ReplayStartTime: startedAt,
        EventLastReplayedTime: new Date("2025-03-14T02:30:00Z"),
      })
      .resolves({
        State: "COMPLETED",
        ReplayStartTime: startedAt,
        ReplayEndTime: new Date("2025-03-20T09:01:00Z"),
      });
    const r = await run(["replay", ...window, ...onStage]);
    expect(r.code).toBe(0);
    const start = events.commandCalls(StartReplayCommand)[0]!.args[0].input;
    expect(start).toMatchObject({
      EventSourceArn: archiveArn,
      Destination: { Arn: busArn },
      EventStartTime: new Date("2025-03-14T02:00:00Z"),
      EventEndTime: new Date("2025-03-14T03:00:00Z"),
    });
    expect(start.ReplayName).toMatch(/^cli-test-\d{8}T\d{6}-[0-9a-f]{4}$/);
    expect(events).toHaveReceivedCommandWith(DescribeReplayCommand, { ReplayName: start.ReplayName });
    const progress = r.stderr.split("\n").filter((l) => l.includes(`replay ${start.ReplayName}:`));
    expect(progress).toEqual([
      `  replay ${start.ReplayName}: STARTING`,
      `  replay ${start.ReplayName}: RUNNING, replayed up to 2025-03-14T02:30:00.000Z`,
      `  replay ${start.ReplayName}: COMPLETED`,
    ]);
    expect(r.stdout).toContain(
      `Replay ${start.ReplayName}: COMPLETED, events of 2025-03-14T02:00:00.000Z to 2025-03-14T03:00:00.000Z`,
    );
    const rows = r.stdout.split("\n").filter((l) => l.startsWith("manual-"));
    expect(rows.map((l) => l.split(/\s+/).filter((_, i) => [0, 1, 3, 6].includes(i)))).toEqual([
      ["manual-1", "ev-r1", "copy", "ignored-duplicate"],
      ["manual-1", "ev-r2", "restore", "started"],
      ["manual-2", "ev-r3", "verify", "ignored-duplicate"],
    ]);
    expect(r.stdout).toContain("2 operation(s): 2 ignored-duplicate, 1 started");
    // Across operations the report reads the audit table since the replay started.
    expect(tables.mock).toHaveReceivedCommandWith(ScanCommand, { TableName: names.auditTable });
  });

  it("--operation checks the operation exists and narrows the report to it (--json)", async () => {
    events.on(DescribeReplayCommand).resolves({ State: "COMPLETED", ReplayStartTime: startedAt });
    const r = await run(["replay", ...window, "--operation", "manual-2", ...onStage, "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      replay: { state: string };
      operations: unknown[];
      outcomes: unknown;
    };
    expect(report.replay.state).toBe("COMPLETED");
    expect(report.operations).toEqual([
      {
        operationId: "manual-2",
        events: [
          {
            eventId: "ev-r3",
            entries: [
              {
                at: "2025-03-20T09:00:07.000Z",
                stage: "verify",
                action: "receive verify",
                outcome: "ignored-duplicate",
              },
            ],
          },
        ],
      },
    ]);
    expect(report.outcomes).toEqual({ "ignored-duplicate": 1 });
    expect(tables.mock).not.toHaveReceivedCommand(ScanCommand);

    const missing = await run(["replay", ...window, "--operation", "manual-404", ...onStage]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no operation manual-404 in stage 'test' in eu-west-1");
  });

  it("a FAILED replay exits 1 with its reason", async () => {
    events
      .on(DescribeReplayCommand)
      .resolves({ State: "FAILED", StateReason: "Archive is being deleted", ReplayStartTime: startedAt });
    const r = await run(["replay", ...window, ...onStage]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("FAILED (Archive is being deleted)");
  });

  it("refuses a window that is not one, or no --stage: exit 2, nothing started", async () => {
    const backwards = await run([
      "replay",
      "--from",
      "2025-03-14T03:00:00Z",
      "--to",
      "2025-03-14T02:00:00Z",
      ...onStage,
    ]);
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain("--from must be before --to");
    const noZone = await run([
      "replay",
      "--from",
      "2025-03-14T02:00:00",
      "--to",
      "2025-03-14T03:00:00Z",
      ...onStage,
    ]);
    expect(noZone.code).toBe(2);
    expect(noZone.stderr).toContain("is not an ISO 8601 time with its zone");
    const local = await run(["replay", ...window]);
    expect(local.code).toBe(2);
    expect(events).not.toHaveReceivedCommand(StartReplayCommand);
  });

  it("a missing archive is a stage not deployed there", async () => {
    events.on(DescribeArchiveCommand).rejects(
      Object.assign(new Error("Archive aurora-restore-test does not exist."), {
        name: "ResourceNotFoundException",
      }),
    );
    const r = await run(["replay", ...window, ...onStage]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "no deployed stage 'test' in region eu-west-1: archive aurora-restore-test does not exist",
    );
  });
});
