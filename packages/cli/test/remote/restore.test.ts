import "aws-sdk-client-mock-vitest/extend";
import { ManualRestoreRequested } from "@aurora-restore/core/events/domain";
import { PIPELINE_SOURCE } from "@aurora-restore/core/events/names";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { fakeTables, names, onStage, operation, run, sdkError, succeeded } from "./support";

const tables = fakeTables();
const events = mockClient(EventBridgeClient);
const sts = mockClient(STSClient);
const principal = "arn:aws:sts::222222222222:assumed-role/Operator/jane";
const request = ["--target-cluster-id", "staging-db", "--source-snapshot-date", "2025-03-14"];

beforeEach(() => {
  tables.reset({ empty: true });
  events.reset();
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Arn: principal, Account: "222222222222", UserId: "AROA:jane" });
});
afterAll(() => {
  tables.mock.restore();
  events.restore();
  sts.restore();
});

/** What the published event's detail says. */
function publishedDetail(): Record<string, unknown> {
  const entry = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
  return JSON.parse(entry.Detail!) as Record<string, unknown>;
}

/**
 * The stage's answer to a published request, as the deployed trigger and stages would write it: the
 * trigger's audit entry for the event, and the operation in the state table.
 */
function pipelineAnswers(answer: {
  outcome: "started" | "rejected";
  reason?: string;
  ends?: "succeeded" | "failed";
}) {
  events.on(PutEventsCommand).callsFake(async (input) => {
    const detail = JSON.parse(input.Entries[0].Detail) as { operationId: string };
    const eventId = "11111111-2222-3333-4444-555555555555";
    await tables.audit.append(
      {
        operationId: detail.operationId,
        targetKey: "222222222222/eu-west-1/staging-db",
        stage: "trigger",
        action: "start-operation",
        actor: "trigger",
        outcome: answer.outcome,
        eventId,
        ...(answer.reason ? { details: { reason: answer.reason } } : {}),
      },
      { at: new Date().toISOString(), compliance: "default" },
    );
    if (answer.ends === "succeeded") await tables.putOperation(succeeded(detail.operationId));
    if (answer.ends === "failed") {
      await tables.putOperation(
        operation(detail.operationId, {
          step: "failed",
          status: "failed",
          error: { stage: "copy", code: "KMSKeyNotAccessibleFault", message: "grant the target account" },
        }),
      );
    }
    return { FailedEntryCount: 0, Entries: [{ EventId: eventId }] };
  });
}

describe("restore --stage", () => {
  it("publishes the contract's ManualRestoreRequested on the stage's bus; --no-wait prints the event id", async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "ev-0001" }] });
    const r = await run(["restore", ...request, "--operation-id", "refresh-0314", ...onStage, "--no-wait"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("ev-0001\n");
    expect(r.stderr).toContain(
      "Follow it with: aurora-restore operations show refresh-0314 --stage test --region eu-west-1",
    );
    expect(events).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const entry = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({
      Source: PIPELINE_SOURCE,
      DetailType: ManualRestoreRequested.detailType,
      EventBusName: names.bus,
    });
    const detail = publishedDetail();
    expect(detail).toMatchObject({
      operationId: "refresh-0314",
      targetClusterId: "staging-db",
      sourceSnapshotDate: "2025-03-14",
      requestedBy: `cli:${principal}`,
      schemaVersion: ManualRestoreRequested.version,
    });
    // The contract's own schema accepts what was sent: the trigger will parse it the same way.
    expect(ManualRestoreRequested.schema.safeParse(detail).success).toBe(true);
    // Nothing is followed with --no-wait.
    expect(tables.mock).not.toHaveReceivedAnyCommand();
  });

  it("an operation id is generated when none is given", async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "ev-0002" }] });
    const r = await run(["restore", ...request, ...onStage, "--no-wait", "--json"]);
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout) as { operationId: string; eventId: string };
    expect(printed.eventId).toBe("ev-0002");
    expect(printed.operationId).toMatch(/^manual-[0-9a-f-]{36}$/);
    expect(publishedDetail().operationId).toBe(printed.operationId);
  });

  it("an entry EventBridge refuses (FailedEntryCount 1) is an error naming its ErrorCode, exit 1", async () => {
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [
        { ErrorCode: "NotAuthorizedForSourceException", ErrorMessage: "Not authorized for the source." },
      ],
    });
    const r = await run(["restore", ...request, ...onStage]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "EventBridge refused the event (NotAuthorizedForSourceException: Not authorized for the source.): the credentials need events:PutEvents on bus aurora-restore-test",
    );
    expect(r.stdout).toBe("");
  });

  it("a throttled entry says nothing was published and to run it again", async () => {
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" }],
    });
    const r = await run(["restore", ...request, ...onStage]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("nothing was published: run the command again");
  });

  it("follows the operation the trigger started until it succeeded: exit 0, stages on stderr", async () => {
    pipelineAnswers({ outcome: "started", ends: "succeeded" });
    const r = await run(["restore", ...request, "--operation-id", "refresh-ok", ...onStage]);
    expect(r.stderr).toContain("operation refresh-ok started; following it");
    expect(r.stderr).toMatch(/✓ copy\s+1h00m/);
    expect(r.stderr).toMatch(/✓ cutover/);
    expect(r.stdout).toBe("refresh-ok: succeeded\n");
    expect(r.code).toBe(0);
  });

  it("a failed operation exits 1 with its error; --json has the stage", async () => {
    pipelineAnswers({ outcome: "started", ends: "failed" });
    const r = await run(["restore", ...request, "--operation-id", "refresh-ko", ...onStage, "--json"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      operationId: "refresh-ko",
      status: "failed",
      error: { stage: "copy", code: "KMSKeyNotAccessibleFault" },
      target: { clusterId: "staging-db", accountId: "222222222222", region: "eu-west-1" },
      stage: "test",
      region: "eu-west-1",
    });
  });

  it("a request the trigger refused exits 1 with the audited reason, in flag names", async () => {
    pipelineAnswers({
      outcome: "rejected",
      reason: "source_snapshot_date: source cluster orders has no available snapshot taken on 2025-03-14",
    });
    const r = await run(["restore", ...request, "--operation-id", "refresh-no", ...onStage]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "the pipeline refused the request for refresh-no: --source-snapshot-date: source cluster orders has no available snapshot",
    );
  });

  it("refuses bad arguments before any call: exit 2", async () => {
    const badDate = await run([
      "restore",
      "--target-cluster-id",
      "staging-db",
      "--source-snapshot-date",
      "2025-02-30",
      ...onStage,
    ]);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain("--source-snapshot-date:");
    const withPlan = await run(["restore", ...request, "--plan", "p.json", ...onStage]);
    expect(withPlan.code).toBe(2);
    expect(withPlan.stderr).toContain("--plan is for the local runtime");
    const noWaitLocally = await run(["restore", ...request, "--plan", "p.json", "--no-wait"]);
    expect(noWaitLocally.code).toBe(2);
    expect(noWaitLocally.stderr).toContain("--no-wait needs --stage");
    expect(events).not.toHaveReceivedAnyCommand();
    expect(sts).not.toHaveReceivedAnyCommand();
  });

  it("no credentials: nothing is published, the message says how to give them", async () => {
    sts.on(GetCallerIdentityCommand).rejects(
      Object.assign(new Error("Could not load credentials from any providers"), {
        name: "CredentialsProviderError",
      }),
    );
    const r = await run(["restore", ...request, ...onStage, "--profile", "target-account"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no AWS credentials for sts:GetCallerIdentity");
    expect(r.stderr).toContain("check the profile 'target-account'");
    expect(events).not.toHaveReceivedAnyCommand();
  });

  it("a PutEvents call refused as a whole (access denied) names the action", async () => {
    events
      .on(PutEventsCommand)
      .rejects(sdkError("AccessDeniedException", "not authorized to perform: events:PutEvents"));
    const r = await run(["restore", ...request, ...onStage]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "access denied: these credentials may not call events:PutEvents on bus aurora-restore-test",
    );
  });
});
