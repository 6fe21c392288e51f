import "aws-sdk-client-mock-vitest/extend";
import { ManualRestoreRequested } from "@aurora-restore/core/events/domain";
import { PIPELINE_SOURCE } from "@aurora-restore/core/events/names";
import { RDS_SOURCE, rdsDetailTypes } from "@aurora-restore/core/events/rds";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { names, onStage, run, sdkError } from "./support";

const sqs = mockClient(SQSClient);
const events = mockClient(EventBridgeClient);
const urlOf = (queue: string) => `https://sqs.eu-west-1.amazonaws.com/222222222222/${queue}`;

/** The stage's queues as SQS keeps them: a receive hides what it returns, a release or a delete ends that. */
function fakeQueues(contents: Record<string, Message[]>) {
  const queues = new Map(
    Object.entries(contents).map(([stage, m]) => [urlOf(names.deadLetterQueue(stage as never)), m]),
  );
  const hidden = new Set<string>();
  /** The calls that change something, in order (tests add their PutEvents). */
  const log: string[] = [];
  sqs.on(GetQueueUrlCommand).callsFake((input) => ({ QueueUrl: urlOf(input.QueueName) }));
  sqs.on(ReceiveMessageCommand).callsFake((input) => {
    const visible = (queues.get(input.QueueUrl) ?? []).filter((m) => !hidden.has(m.ReceiptHandle!));
    const taken = visible.slice(0, input.MaxNumberOfMessages ?? 1);
    for (const m of taken) hidden.add(m.ReceiptHandle!);
    return { Messages: taken };
  });
  sqs.on(ChangeMessageVisibilityBatchCommand).callsFake((input) => {
    for (const entry of input.Entries) hidden.delete(entry.ReceiptHandle);
    return { Successful: input.Entries.map((e: { Id: string }) => ({ Id: e.Id })), Failed: [] };
  });
  sqs.on(DeleteMessageCommand).callsFake((input) => {
    log.push(`DeleteMessage ${input.ReceiptHandle}`);
    hidden.delete(input.ReceiptHandle);
    for (const [url, messages] of queues)
      queues.set(
        url,
        messages.filter((m) => m.ReceiptHandle !== input.ReceiptHandle),
      );
    return {};
  });
  return {
    left: (stage: string) =>
      (queues.get(urlOf(names.deadLetterQueue(stage as never))) ?? []).map((m) => m.MessageId),
    hidden,
    log,
  };
}

const request = JSON.parse(
  ManualRestoreRequested.entry(
    {
      operationId: "manual-42",
      correlationId: "c0ffee00-0000-4000-8000-000000000001",
      causationId: "c0ffee00-0000-4000-8000-000000000001",
      occurredAt: "2025-03-14T10:00:00.000Z",
      targetClusterId: "staging-db",
      sourceSnapshotDate: "2025-03-14",
      requestedBy: "cli:jane",
    },
    { busName: names.bus },
  ).Detail,
) as Record<string, unknown>;

function envelope(source: string, detailType: string, detail: unknown) {
  return {
    version: "0",
    id: "e-original",
    "detail-type": detailType,
    source,
    account: "222222222222",
    time: "2025-03-14T10:00:00Z",
    region: "eu-west-1",
    resources: [],
    detail,
  };
}

/** Lambda's failure destination record, as the function settings send it after the retries. */
const failedInvocation: Message = {
  MessageId: "m-lambda",
  ReceiptHandle: "r-lambda",
  Attributes: { SentTimestamp: String(Date.parse("2025-03-14T10:05:00Z")), ApproximateReceiveCount: "1" },
  Body: JSON.stringify({
    version: "1.0",
    timestamp: "2025-03-14T10:05:00.000Z",
    requestContext: {
      requestId: "r1",
      functionArn: "arn:aws:lambda:eu-west-1:222222222222:function:aurora-restore-test-trigger",
      condition: "RetriesExhausted",
      approximateInvokeCount: 3,
    },
    requestPayload: envelope(PIPELINE_SOURCE, ManualRestoreRequested.detailType, request),
    responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
    responsePayload: { errorType: "TimeoutError", errorMessage: "Connection timed out after 10000 ms" },
  }),
};

/** What EventBridge itself dead-letters: the event as the body, the reason in attributes. */
const undelivered: Message = {
  MessageId: "m-rds",
  ReceiptHandle: "r-rds",
  Attributes: { SentTimestamp: String(Date.parse("2025-03-14T09:00:00Z")) },
  Body: JSON.stringify(envelope(RDS_SOURCE, rdsDetailTypes.clusterSnapshot, { EventID: "RDS-EVENT-0169" })),
  MessageAttributes: {
    ERROR_CODE: { DataType: "String", StringValue: "NO_PERMISSIONS" },
    ERROR_MESSAGE: { DataType: "String", StringValue: "Lambda denied the invocation" },
  },
};

/** An event the handler rejected as invalid, sent by the handler in Lambda's record shape. */
const rejected: Message = {
  MessageId: "m-rejected",
  ReceiptHandle: "r-rejected",
  Attributes: { SentTimestamp: String(Date.parse("2025-03-14T11:00:00Z")) },
  Body: JSON.stringify({
    version: "1.0",
    requestContext: { condition: "RejectedEvent", service: "trigger", approximateInvokeCount: 1 },
    requestPayload: envelope(PIPELINE_SOURCE, ManualRestoreRequested.detailType, {
      operationId: "manual-43",
    }),
    responsePayload: {
      errorType: "ParseError",
      errorMessage: "invalid ManualRestoreRequested: targetClusterId: required",
    },
  }),
};

beforeEach(() => {
  sqs.reset();
  events.reset();
});
afterAll(() => {
  sqs.restore();
  events.restore();
});

describe("dlq list --stage", () => {
  it("shows each message's original detail-type, operation and error, from every stage's queue, and changes nothing", async () => {
    const queues = fakeQueues({ trigger: [failedInvocation, undelivered, rejected] });
    const r = await run(["dlq", "list", ...onStage]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^QUEUE\s+MESSAGE\s+SENT\s+EVENT\s+OPERATION\s+ERROR$/);
    expect(lines[1]).toMatch(
      /^trigger\s+m-rds\s+2025-03-14T09:00:00.000Z\s+RDS DB Cluster Snapshot Event\s+NO_PERMISSIONS: Lambda denied the invocation$/,
    );
    expect(lines[2]).toMatch(
      /^trigger\s+m-lambda\s+.*ManualRestoreRequested\s+manual-42\s+TimeoutError: Connection timed out after 10000 ms \(RetriesExhausted, 3 attempts\)$/,
    );
    expect(lines[3]).toMatch(/m-rejected\s+.*manual-43\s+ParseError: invalid ManualRestoreRequested/);
    // Every pipeline stage's queue was read, with the attributes the listing shows.
    expect(sqs.commandCalls(GetQueueUrlCommand)).toHaveLength(10);
    expect(sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, {
      QueueUrl: urlOf(names.deadLetterQueue("trigger")),
      MessageAttributeNames: ["All"],
    });
    // What was hidden to read it is visible again.
    expect(queues.hidden.size).toBe(0);
    expect(queues.left("trigger")).toHaveLength(3);
  });

  it("--json keeps the unwrapped event; --queue reads one queue", async () => {
    fakeQueues({ copy: [failedInvocation] });
    const r = await run(["dlq", "list", ...onStage, "--queue", "copy", "--json"]);
    expect(r.code).toBe(0);
    const [letter] = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(letter).toMatchObject({
      queue: "copy",
      kind: "failed-invocation",
      operationId: "manual-42",
      event: { detail: request },
    });
    expect(sqs.commandCalls(GetQueueUrlCommand)).toHaveLength(1);
  });

  it("a queue that is not there is a stage not deployed in that region", async () => {
    sqs.on(GetQueueUrlCommand).rejects(sdkError("QueueDoesNotExist", "The specified queue does not exist."));
    const r = await run(["dlq", "list", ...onStage]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no deployed stage 'test' in region eu-west-1: queue aurora-restore-test-");
  });
});

describe("dlq redrive --stage", () => {
  it("publishes the original event on the bus and deletes the message only after the put succeeded", async () => {
    const queues = fakeQueues({ trigger: [failedInvocation] });
    events.on(PutEventsCommand).callsFake(() => {
      queues.log.push("PutEvents m-lambda");
      return { FailedEntryCount: 0, Entries: [{ EventId: "ev-again" }] };
    });
    const r = await run(["dlq", "redrive", ...onStage]);
    expect(r.stdout).toContain(
      "redriven m-lambda (ManualRestoreRequested of manual-42, trigger queue): published as event ev-again, deleted",
    );
    expect(r.code).toBe(0);
    const entry = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({
      Source: PIPELINE_SOURCE,
      DetailType: ManualRestoreRequested.detailType,
      EventBusName: names.bus,
    });
    expect(JSON.parse(entry.Detail!)).toEqual(request);
    expect(queues.left("trigger")).toEqual([]);
    expect(queues.log).toEqual(["PutEvents m-lambda", "DeleteMessage r-lambda"]);
  });

  it("a refused put keeps the message and says why; exit 1", async () => {
    const second = { ...failedInvocation, MessageId: "m-lambda-2", ReceiptHandle: "r-lambda-2" };
    const queues = fakeQueues({ trigger: [failedInvocation, second] });
    events
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: "ev-ok" }] })
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: "InternalFailure", ErrorMessage: "try again" }],
      });
    const r = await run(["dlq", "redrive", ...onStage]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("redriven m-lambda ");
    expect(r.stdout).toContain(
      "kept m-lambda-2 (ManualRestoreRequested of manual-42, trigger queue): EventBridge did not take the event (InternalFailure: try again)",
    );
    expect(r.stdout).toContain("1 re-driven, 1 not, 0 not found");
    expect(sqs).toHaveReceivedCommandTimes(DeleteMessageCommand, 1);
    expect(sqs).toHaveReceivedCommandWith(DeleteMessageCommand, { ReceiptHandle: "r-lambda" });
    expect(queues.left("trigger")).toEqual(["m-lambda-2"]);
    expect(queues.hidden.size).toBe(0);
  });

  it("keeps what PutEvents cannot publish (aws.* sources) or the stage would reject again; a named message only", async () => {
    const queues = fakeQueues({ trigger: [failedInvocation, undelivered, rejected] });
    const r = await run(["dlq", "redrive", "m-rds", "m-rejected", "m-gone", ...onStage]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("kept m-rds (RDS DB Cluster Snapshot Event, trigger queue): an aws.rds event");
    expect(r.stdout).toContain(
      "kept m-rejected (ManualRestoreRequested of manual-43, trigger queue): its detail does not match",
    );
    expect(r.stdout).toContain("not found m-gone: in no dead-letter queue of stage 'test' in eu-west-1");
    expect(events).not.toHaveReceivedAnyCommand();
    expect(queues.left("trigger")).toHaveLength(3);
    expect(queues.hidden.size).toBe(0);
  });
});

describe("dlq purge --stage", () => {
  const counted = () =>
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: "2" } });

  it("refuses without --yes when it cannot ask (not a terminal): exit 2, nothing purged", async () => {
    fakeQueues({});
    counted();
    const r = await run(["dlq", "purge", ...onStage]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("refusing without --yes when not at a terminal");
    expect(sqs).not.toHaveReceivedCommand(PurgeQueueCommand);
  });

  it("asks at a terminal: no purges nothing, yes purges every queue", async () => {
    fakeQueues({});
    counted();
    const questions: string[] = [];
    const no = await run(["dlq", "purge", ...onStage], {
      confirm: async (question) => {
        questions.push(question);
        return false;
      },
    });
    expect(no.code).toBe(1);
    expect(questions[0]).toBe(
      "Delete about 20 message(s) from 10 dead-letter queue(s) of stage 'test' in eu-west-1?",
    );
    expect(sqs).not.toHaveReceivedCommand(PurgeQueueCommand);
    const yes = await run(["dlq", "purge", ...onStage, "--queue", "verify"], { confirm: async () => true });
    expect(yes.code).toBe(0);
    expect(yes.stdout).toBe("purged aurora-restore-test-verify-dlq (about 2 message(s))\n");
    expect(sqs).toHaveReceivedCommandWith(PurgeQueueCommand, {
      QueueUrl: urlOf(names.deadLetterQueue("verify")),
    });
  });

  it("--yes purges without asking, and reports a queue SQS would not purge", async () => {
    fakeQueues({});
    counted();
    sqs
      .on(PurgeQueueCommand)
      .resolves({})
      .on(PurgeQueueCommand, { QueueUrl: urlOf(names.deadLetterQueue("copy")) })
      .rejects(
        sdkError("PurgeQueueInProgress", "Only one PurgeQueue operation is allowed every 60 seconds."),
      );
    const r = await run(["dlq", "purge", ...onStage, "--yes"]);
    expect(r.code).toBe(1);
    expect(sqs).toHaveReceivedCommandTimes(PurgeQueueCommand, 10);
    expect(r.stdout).toContain(
      "not purged aurora-restore-test-copy-dlq: sqs:PurgeQueue on queue aurora-restore-test-copy-dlq failed: PurgeQueueInProgress",
    );
  });
});
