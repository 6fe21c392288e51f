import "aws-sdk-client-mock-vitest/extend";
import { RetryRequested } from "@aurora-restore/core/events/domain";
import { PIPELINE_SOURCE } from "@aurora-restore/core/events/names";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { fakeTables, names, onStage, operation, run, succeeded } from "./support";

const tables = fakeTables();
const events = mockClient(EventBridgeClient);
const sts = mockClient(STSClient);
const principal = "arn:aws:sts::222222222222:assumed-role/Operator/jane";
const failedCopy = operation("manual-7", {
  step: "failed",
  status: "failed",
  version: 4,
  error: { stage: "copy", code: "SnapshotQuotaExceeded", message: "delete old snapshots" },
});

beforeEach(async () => {
  tables.reset({ empty: true });
  events.reset();
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Arn: principal });
  await tables.putOperation(failedCopy);
});
afterAll(() => {
  tables.mock.restore();
  events.restore();
  sts.restore();
});

describe("operations retry --stage", () => {
  it("publishes RetryRequested for the operation, then follows it once the trigger reopened it", async () => {
    events.on(PutEventsCommand).callsFake(async () => {
      await tables.audit.append(
        {
          operationId: "manual-7",
          targetKey: failedCopy.targetKey,
          stage: "trigger",
          action: "retry-operation",
          actor: "trigger",
          outcome: "started",
          eventId: "ev-retry",
          details: { retry: 1, resumeAt: "prepare", reused: [] },
        },
        { at: new Date().toISOString(), compliance: "default" },
      );
      await tables.putOperation(succeeded("manual-7", { version: 12 }));
      return { FailedEntryCount: 0, Entries: [{ EventId: "ev-retry" }] };
    });
    const r = await run(["operations", "retry", "manual-7", ...onStage]);
    expect(r.stderr).toContain("retrying at prepare; following it");
    expect(r.stdout).toBe("manual-7: succeeded\n");
    expect(r.code).toBe(0);
    const entry = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({
      Source: PIPELINE_SOURCE,
      DetailType: RetryRequested.detailType,
      EventBusName: names.bus,
    });
    expect(JSON.parse(entry.Detail!)).toMatchObject({
      operationId: "manual-7",
      correlationId: failedCopy.correlationId,
      fromStart: false,
      requestedBy: `cli:${principal}`,
    });
  });

  it("--from-start follows the new operation the trigger started", async () => {
    events.on(PutEventsCommand).callsFake(async () => {
      await tables.audit.append(
        {
          operationId: "manual-7",
          targetKey: failedCopy.targetKey,
          stage: "trigger",
          action: "retry-operation",
          actor: "trigger",
          outcome: "started",
          eventId: "ev-fresh",
          details: { fromStart: true, newOperationId: "manual-7-r0123abcd" },
        },
        { at: new Date().toISOString(), compliance: "default" },
      );
      await tables.putOperation(succeeded("manual-7-r0123abcd"));
      return { FailedEntryCount: 0, Entries: [{ EventId: "ev-fresh" }] };
    });
    const r = await run(["operations", "retry", "manual-7", "--from-start", ...onStage]);
    expect(r.stderr).toContain("started manual-7-r0123abcd for the same snapshot and target");
    expect(r.stdout).toBe("manual-7-r0123abcd: succeeded\n");
    expect(r.code).toBe(0);
    const entry = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(JSON.parse(entry.Detail!)).toMatchObject({ fromStart: true });
  });

  it("without --from-start asks to resume; --no-wait prints the event id only", async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "ev-resume" }] });
    const r = await run(["operations", "retry", "manual-7", ...onStage, "--no-wait"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("ev-resume\n");
    const entry = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(JSON.parse(entry.Detail!)).toMatchObject({ fromStart: false });
  });

  it("refuses an unknown or succeeded operation (exit 1); --no-wait needs --stage (exit 2)", async () => {
    const unknown = await run(["operations", "retry", "manual-nope", ...onStage]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no operation manual-nope in stage 'test' in eu-west-1");
    await tables.putOperation(succeeded("manual-done"));
    const done = await run(["operations", "retry", "manual-done", ...onStage]);
    expect(done.code).toBe(1);
    expect(done.stderr).toContain("manual-done succeeded: nothing to retry");
    const noWaitLocally = await run(["operations", "retry", "manual-7", "--no-wait"]);
    expect(noWaitLocally.code).toBe(2);
    expect(noWaitLocally.stderr).toContain("--no-wait is for a deployed stage (--stage)");
    expect(events).not.toHaveReceivedAnyCommand();
  });
});
