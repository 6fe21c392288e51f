import "aws-sdk-client-mock-vitest/extend";
import type { PutEventsEntry } from "@aurora-restore/core/ports/index";
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { batches, createAwsEventPublisher, entrySize, PutEventsFailedError } from "../src/aws-events";
import { sdkError } from "./fixtures";

const eventsMock = mockClient(EventBridgeClient);
const scope = { accountId: "111111111111", region: "us-east-1" };

function entry(n: number, detail = "{}"): PutEventsEntry {
  return { Source: "aurora-restore", DetailType: `step-${n}`, Detail: detail };
}

function accepted(input: { Entries?: PutEventsRequestEntry[] }) {
  return {
    FailedEntryCount: 0,
    Entries: (input.Entries ?? []).map((e) => ({ EventId: `id-${e.DetailType}` })),
  };
}

beforeEach(() => {
  eventsMock.reset();
});

describe("createAwsEventPublisher", () => {
  it("sends entries on the configured bus and returns their event ids", async () => {
    eventsMock.on(PutEventsCommand).callsFake(accepted);
    const result = await createAwsEventPublisher(scope, { eventBusName: "aurora-restore" }).putEvents([
      entry(1),
      {
        ...entry(2),
        EventBusName: "other",
        Resources: ["arn:aws:rds:us-east-1:111111111111:cluster:orders"],
      },
    ]);
    expect(eventsMock).toHaveReceivedCommandExactlyOnceWith(PutEventsCommand, {
      Entries: [
        { Source: "aurora-restore", DetailType: "step-1", Detail: "{}", EventBusName: "aurora-restore" },
        {
          Source: "aurora-restore",
          DetailType: "step-2",
          Detail: "{}",
          EventBusName: "other",
          Resources: ["arn:aws:rds:us-east-1:111111111111:cluster:orders"],
        },
      ],
    });
    expect(result).toEqual({
      FailedEntryCount: 0,
      Entries: [{ EventId: "id-step-1" }, { EventId: "id-step-2" }],
    });
  });

  it("splits 23 entries into calls of 10, 10 and 3, keeping the order", async () => {
    eventsMock.on(PutEventsCommand).callsFake(accepted);
    const entries = Array.from({ length: 23 }, (_, i) => entry(i));
    const result = await createAwsEventPublisher(scope).putEvents(entries);
    const sizes = eventsMock.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries?.length);
    expect(sizes).toEqual([10, 10, 3]);
    expect(result.Entries.map((e) => e.EventId)).toEqual(entries.map((e) => `id-${e.DetailType}`));
  });

  it("makes no call for no entries", async () => {
    const result = await createAwsEventPublisher(scope).putEvents([]);
    expect(result).toEqual({ FailedEntryCount: 0, Entries: [] });
    expect(eventsMock).not.toHaveReceivedAnyCommand();
  });

  it("throws listing every failed entry with its code and message, after sending all batches", async () => {
    eventsMock
      .on(PutEventsCommand)
      .callsFakeOnce((input: { Entries?: PutEventsRequestEntry[] }) => ({
        FailedEntryCount: 1,
        Entries: (input.Entries ?? []).map((e, i) =>
          i === 3
            ? { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." }
            : { EventId: `id-${e.DetailType}` },
        ),
      }))
      .callsFake(accepted);
    const entries = Array.from({ length: 12 }, (_, i) => entry(i));
    const error = await createAwsEventPublisher(scope)
      .putEvents(entries)
      .catch((e: unknown) => e);
    expect(eventsMock).toHaveReceivedCommandTimes(PutEventsCommand, 2);
    expect(error).toBeInstanceOf(PutEventsFailedError);
    const failed = error as PutEventsFailedError;
    expect(failed.failures).toEqual([
      { index: 3, detailType: "step-3", errorCode: "MalformedDetail", errorMessage: "Detail is malformed." },
    ]);
    expect(failed.message).toContain('#3 "step-3": MalformedDetail Detail is malformed.');
    expect(failed.message).toContain("1 of 12 entries failed");
    expect(failed.result.FailedEntryCount).toBe(1);
    expect(failed).toMatchObject({ code: "UnknownError", retryable: false, service: "events" });
  });

  it("marks a failure retryable only when every failed entry was throttled or internal", async () => {
    eventsMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 2,
      Entries: [
        { ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" },
        { ErrorCode: "InternalFailure", ErrorMessage: "try again" },
      ],
    });
    await expect(createAwsEventPublisher(scope).putEvents([entry(1), entry(2)])).rejects.toMatchObject({
      retryable: true,
    });
  });

  it("maps a whole-call failure and says how many entries were already published", async () => {
    eventsMock
      .on(PutEventsCommand)
      .callsFakeOnce(accepted)
      .rejects(sdkError("AccessDeniedException", "not authorized", 400));
    const error = await createAwsEventPublisher(scope)
      .putEvents(Array.from({ length: 15 }, (_, i) => entry(i)))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "AccessDenied", service: "events" });
    expect((error as Error).message).toContain("entries 11-15 of 15; 10 already published");
  });
});

describe("batches", () => {
  it("counts bytes as EventBridge does", () => {
    expect(
      entrySize({ Source: "ab", DetailType: "c", Detail: '{"é":1}', Resources: ["r1"], Time: new Date() }),
    ).toBe(14 + 2 + 1 + 8 + 2);
  });

  it("starts a new call before the size limit, and sends an oversized entry alone", () => {
    // entry(n) counts 22 bytes; big counts 118.
    const big = entry(0, `{"x":"${"a".repeat(90)}"}`);
    expect(entrySize(big)).toBe(118);
    expect(batches([entry(1), big, big, entry(2)], 150).map((group) => group.length)).toEqual([2, 2]);
    expect(batches([entry(1), big, entry(2)], 100).map((group) => group.length)).toEqual([1, 1, 1]);
  });
});
