/** PutEvents, routing, retries and the dead-letter queue, forwarding, chaos — all on a virtual clock. */

import { RDS_SOURCE, rdsDetailTypes } from "@aurora-restore/core";
import { describe, expect, it, vi } from "vitest";
import { EventBridgeError } from "../../src/eventbridge/errors";
import { putEventsEntrySize } from "../../src/eventbridge/put-events";
import { createVirtualRuntime } from "../../src/eventbridge/runtime";
import { entry, newEventBridge, recorder, TransientError } from "./helpers";

describe("PutEvents", () => {
  it("delivers the full EventBridge envelope, asynchronously", async () => {
    const { eb } = newEventBridge();
    const target = recorder();
    eb.eventBus().putRule({ name: "all", eventPattern: { source: ["app.test"] }, targets: [target] });
    const result = await eb.putEvents([entry({ n: 1 }, { Resources: ["arn:x"] })]);
    expect(result.FailedEntryCount).toBe(0);
    expect(target.received).toHaveLength(0); // not delivered inside the PutEvents call
    await eb.drain();
    expect(target.received).toEqual([
      {
        version: "0",
        id: result.Entries[0]!.EventId,
        "detail-type": "Thing Happened",
        source: "app.test",
        account: "111111111111",
        time: "2025-06-01T12:00:00Z",
        region: "eu-west-1",
        resources: ["arn:x"],
        detail: { n: 1 },
      },
    ]);
    expect(result.Entries[0]!.EventId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it("uses the entry's Time, without milliseconds", async () => {
    const { eb } = newEventBridge();
    const target = recorder();
    eb.eventBus().putRule({ name: "all", eventPattern: { source: ["app.test"] }, targets: [target] });
    await eb.putEvents([entry({}, { Time: new Date("2024-02-03T04:05:06.789Z") })]);
    await eb.drain();
    expect(target.received[0]!.time).toBe("2024-02-03T04:05:06Z");
  });

  it("refuses 0 and more than 10 entries with ValidationException", async () => {
    const { eb } = newEventBridge();
    await expect(eb.putEvents([])).rejects.toThrow(/length greater than or equal to 1/);
    const eleven = Array.from({ length: 11 }, () => entry());
    await expect(eb.putEvents(eleven)).rejects.toMatchObject({
      name: "ValidationException",
      message: expect.stringContaining("Member must have length less than or equal to 10"),
    });
    expect((await eb.putEvents(eleven.slice(0, 10))).FailedEntryCount).toBe(0);
  });

  it("computes the request size as AWS does and enforces the configured limit", async () => {
    // 14 for Time + Source + DetailType + Detail + each resource, in UTF-8 bytes; EventBusName not counted.
    const sized = {
      Source: "é",
      DetailType: "dt",
      Detail: '{"a":1}',
      Resources: ["r1"],
      Time: new Date(),
      EventBusName: "x",
    };
    expect(putEventsEntrySize(sized)).toBe(14 + 2 + 2 + 7 + 2);
    const limit = putEventsEntrySize(entry()) * 2;
    const { eb } = newEventBridge({ maxRequestSizeBytes: limit });
    expect((await eb.putEvents([entry(), entry()])).FailedEntryCount).toBe(0); // exactly at the limit
    const error = await eb.putEvents([entry(), entry({ n: 10 })]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventBridgeError);
    expect(error).toMatchObject({
      code: "ValidationException",
      message: "Total size of the entries in the request is over the limit.",
    });
  });

  it("reports per-entry failures in place and still delivers the valid entries", async () => {
    const { eb } = newEventBridge();
    const target = recorder();
    eb.eventBus().putRule({ name: "all", eventPattern: { source: ["app.test"] }, targets: [target] });
    const result = await eb.putEvents([
      { DetailType: "x", Detail: "{}" },
      entry({ ok: true }),
      { Source: "app.test", Detail: "{}" },
      { Source: "app.test", DetailType: "x" },
      { Source: "app.test", DetailType: "x", Detail: '"a string"' },
      { Source: "app.test", DetailType: "x", Detail: "[1]" },
      { Source: "app.test", DetailType: "x", Detail: "{not json" },
      entry({}, { EventBusName: "no-such-bus" }),
    ]);
    expect(result.FailedEntryCount).toBe(7);
    expect(result.Entries.map((e) => e.ErrorCode ?? "ok")).toEqual([
      "InvalidArgument",
      "ok",
      "InvalidArgument",
      "InvalidArgument",
      "MalformedDetail",
      "MalformedDetail",
      "MalformedDetail",
      "ResourceNotFoundException",
    ]);
    expect(result.Entries[0]!.ErrorMessage).toBe(
      "Parameter Source is not valid. Reason: Source is a required argument.",
    );
    expect(result.Entries[2]!.ErrorMessage).toBe(
      "Parameter DetailType is not valid. Reason: DetailType is a required argument.",
    );
    expect(result.Entries[3]!.ErrorMessage).toBe(
      "Parameter Detail is not valid. Reason: Detail is a required argument.",
    );
    expect(result.Entries[4]!.ErrorMessage).toBe("Detail is malformed.");
    await eb.drain();
    expect(target.received.map((e) => e.detail)).toEqual([{ ok: true }]);
  });

  it("routes by bus, by rule pattern, and skips disabled rules", async () => {
    const { eb } = newEventBridge();
    const pipeline = eb.createEventBus("pipeline");
    const a = recorder("a");
    const b = recorder("b");
    const off = recorder("off");
    pipeline.putRule({ name: "a", eventPattern: { detail: { n: [{ numeric: [">", 1] }] } }, targets: [a] });
    pipeline.putRule({ name: "b", eventPattern: { source: ["app.test"] }, targets: [b] });
    pipeline.putRule({
      name: "off",
      eventPattern: { source: ["app.test"] },
      state: "DISABLED",
      targets: [off],
    });
    await pipeline.putEvents([entry({ n: 1 }), entry({ n: 2 })]);
    await eb.putEvents([entry({ n: 3 })]); // default bus: no rules
    await pipeline.drain();
    expect(a.received.map((e) => e.detail.n)).toEqual([2]);
    expect(b.received.map((e) => e.detail.n).sort()).toEqual([1, 2]);
    expect(off.received).toEqual([]);
    expect(() => pipeline.putRule({ name: "bad", eventPattern: { source: [] } })).toThrow(
      "Event pattern is not valid. Reason: Empty arrays are not allowed",
    );
  });
});

describe("retries and the dead-letter queue", () => {
  it("retries a retriable failure with growing backoff, then dead-letters with the attempt count", async () => {
    const { eb, runtime } = newEventBridge();
    let calls = 0;
    eb.eventBus().putRule({
      name: "flaky",
      eventPattern: { source: ["app.test"] },
      targets: [
        {
          id: "handler",
          retryPolicy: { maximumRetryAttempts: 4 },
          invoke: async () => {
            calls++;
            throw new TransientError("slow down");
          },
        },
      ],
    });
    const { Entries } = await eb.putEvents([entry()]);
    await eb.drain();
    expect(calls).toBe(5);
    const retryWaits = runtime.sleeps.filter((ms) => ms > 0);
    expect(retryWaits).toHaveLength(4);
    // Equal jitter: the k-th wait lies in [step/2, step] with step = 1s * 2^(k-1).
    retryWaits.forEach((ms, k) => {
      expect(ms).toBeGreaterThanOrEqual(500 * 2 ** k);
      expect(ms).toBeLessThanOrEqual(1000 * 2 ** k);
    });
    const [message, ...others] = eb.listDeadLetters();
    expect(others).toEqual([]);
    expect(message).toMatchObject({
      ruleName: "flaky",
      ruleArn: "arn:aws:events:eu-west-1:111111111111:rule/flaky",
      eventBusArn: "arn:aws:events:eu-west-1:111111111111:event-bus/default",
      targetId: "handler",
      errorCode: "ThrottlingException",
      errorMessage: "slow down",
      attempts: 5,
      retryAttempts: 4,
      exhaustedRetryCondition: "MaximumRetryAttempts",
      retriable: true,
    });
    expect(message!.event.id).toBe(Entries[0]!.EventId);
    expect(eb.metrics).toMatchObject({
      invocations: 5,
      failedInvocations: 5,
      retries: 4,
      sentToDeadLetterQueue: 1,
    });
  });

  it("stops at MaximumEventAgeInSeconds when that comes first", async () => {
    const { eb, runtime } = newEventBridge({ backoff: { baseDelayMs: 10_000, maxDelayMs: 3_600_000 } });
    const start = runtime.now().getTime();
    eb.eventBus().putRule({
      name: "r",
      eventPattern: { source: ["app.test"] },
      targets: [
        {
          id: "t",
          retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 120 },
          invoke: async () => {
            throw new Error("boom");
          },
        },
      ],
    });
    await eb.putEvents([entry()]);
    await eb.drain();
    const [message] = eb.listDeadLetters();
    expect(message!.exhaustedRetryCondition).toBe("MaximumEventAgeInSeconds");
    expect(message!.errorCode).toBe("Error");
    expect(message!.attempts).toBeGreaterThan(1);
    expect(message!.attempts).toBeLessThan(10);
    // No retry was made past the event's maximum age.
    expect(runtime.now().getTime() - start).toBeLessThanOrEqual(120_000);
  });

  it("does not retry non-retriable errors (retryable: false, or a documented name)", async () => {
    const { eb } = newEventBridge();
    const calls: string[] = [];
    const failing = (id: string, error: Error) => ({
      id,
      invoke: async () => {
        calls.push(id);
        throw error;
      },
    });
    const denied = new Error("no permission");
    denied.name = "AccessDeniedException";
    eb.eventBus().putRule({
      name: "r",
      eventPattern: { source: ["app.test"] },
      targets: [
        failing("flagged", Object.assign(new Error("gone"), { retryable: false })),
        failing("named", denied),
      ],
    });
    await eb.putEvents([entry()]);
    await eb.drain();
    expect(calls.sort()).toEqual(["flagged", "named"]);
    const messages = eb.listDeadLetters();
    expect(
      messages.map((m) => [m.targetId, m.attempts, m.exhaustedRetryCondition, m.retriable]).sort(),
    ).toEqual([
      ["flagged", 1, null, false],
      ["named", 1, null, false],
    ]);
  });

  it("delivers after transient failures without dead-lettering", async () => {
    const { eb } = newEventBridge();
    let calls = 0;
    eb.eventBus().putRule({
      name: "r",
      eventPattern: { source: ["app.test"] },
      targets: [
        {
          id: "t",
          invoke: async (_event, context) => {
            calls++;
            expect(context?.attempt).toBe(calls);
            if (calls < 3) throw new TransientError("later");
          },
        },
      ],
    });
    await eb.putEvents([entry()]);
    await eb.drain();
    expect(calls).toBe(3);
    expect(eb.listDeadLetters()).toEqual([]);
  });

  it("drops (and reports) failures of a target with deadLetter: false", async () => {
    const onUndeliverable = vi.fn();
    const { eb } = newEventBridge({ onUndeliverable });
    eb.eventBus().putRule({
      name: "r",
      eventPattern: { source: ["app.test"] },
      targets: [
        {
          id: "t",
          deadLetter: false,
          retryPolicy: { maximumRetryAttempts: 0 },
          invoke: async () => Promise.reject(new Error("x")),
        },
      ],
    });
    await eb.putEvents([entry()]);
    await eb.drain();
    expect(eb.listDeadLetters()).toEqual([]);
    expect(eb.metrics.dropped).toBe(1);
    expect(onUndeliverable).toHaveBeenCalledOnce();
  });

  it("persists dead letters across restarts, lists them, and re-drives them to the failed target only", async () => {
    const first = newEventBridge();
    const other = recorder("other");
    first.eb.eventBus().putRule({
      name: "r",
      eventPattern: { source: ["app.test"] },
      targets: [
        other,
        {
          id: "handler",
          retryPolicy: { maximumRetryAttempts: 0 },
          invoke: async () => Promise.reject(new TransientError("down")),
        },
      ],
    });
    const { Entries } = await first.eb.putEvents([entry({ n: 1 }), entry({ n: 2 })]);
    await first.eb.drain();
    expect(first.eb.listDeadLetters()).toHaveLength(2);

    // A new process on the same state folder: the dead letters are still there.
    const second = newEventBridge({ stateDir: first.stateDir });
    const messages = second.eb.listDeadLetters();
    expect(messages.map((m) => m.event.id).sort()).toEqual(Entries.map((e) => e.EventId).sort());
    expect(second.eb.redriveDeadLetters()).toEqual({
      redriven: [],
      skipped: messages.map((m) => ({
        messageId: m.messageId,
        reason: "rule arn:aws:events:eu-west-1:111111111111:rule/r no longer exists",
      })),
    });

    const handler = recorder("handler");
    const otherAgain = recorder("other");
    second.eb
      .eventBus()
      .putRule({ name: "r", eventPattern: { source: ["app.test"] }, targets: [otherAgain, handler] });
    const firstId = messages[0]!.messageId;
    expect(second.eb.redriveDeadLetters({ messageIds: [firstId] }).redriven).toEqual([firstId]);
    await second.eb.drain();
    expect(handler.received.map((e) => e.id)).toEqual([messages[0]!.event.id]);
    expect(otherAgain.received).toEqual([]);
    expect(second.eb.listDeadLetters().map((m) => m.messageId)).toEqual([messages[1]!.messageId]);
    second.eb.redriveDeadLetters();
    await second.eb.drain();
    expect(handler.received).toHaveLength(2);
    expect(second.eb.listDeadLetters()).toEqual([]);
  });
});

describe("forwarding between accounts", () => {
  it("forwards from a default bus to another account's custom bus, keeping id, account and region, one hop only", async () => {
    const { eb } = newEventBridge();
    const receiver = eb.createEventBus("pipeline", { account: "222222222222" });
    const third = eb.createEventBus("third", { account: "333333333333" });
    const sender = eb.eventBus("default", { account: "111111111111" });
    sender.putRule({ name: "to-pipeline", eventPattern: { source: [RDS_SOURCE] }, targets: [receiver.arn] });
    const got = recorder("stage");
    const thirdGot = recorder("third");
    receiver.putRule({
      name: "stage",
      eventPattern: { source: [RDS_SOURCE], account: ["111111111111"] },
      targets: [got],
    });
    receiver.putRule({
      name: "onward",
      eventPattern: { source: [RDS_SOURCE] },
      targets: [{ id: "onward", arn: third.arn }],
    });
    third.putRule({ name: "all", eventPattern: { source: [RDS_SOURCE] }, targets: [thirdGot] });

    // Published as RDS itself would (only AWS services may use an aws.* source).
    const { Entries } = await sender.putEvents(
      [{ Source: RDS_SOURCE, DetailType: rdsDetailTypes.cluster, Detail: "{}" }],
      { awsServiceSource: RDS_SOURCE },
    );
    await eb.drain();
    expect(got.received).toHaveLength(1);
    expect(got.received[0]).toMatchObject({
      id: Entries[0]!.EventId,
      account: "111111111111",
      region: "eu-west-1",
    });
    expect(thirdGot.received).toEqual([]); // no second hop
  });

  it("dead-letters a forward to a bus that does not exist, without retrying", async () => {
    const { eb } = newEventBridge();
    const missing = "arn:aws:events:eu-west-1:999999999999:event-bus/nope";
    eb.eventBus().putRule({ name: "fwd", eventPattern: { source: ["app.test"] }, targets: [missing] });
    await eb.putEvents([entry()]);
    await eb.drain();
    expect(eb.listDeadLetters()).toMatchObject([
      {
        targetId: missing,
        targetArn: missing,
        errorCode: "ResourceNotFoundException",
        attempts: 1,
        retriable: false,
      },
    ]);
  });
});

describe("chaos mode", () => {
  it("delivers each event N times", async () => {
    const { eb } = newEventBridge({ chaos: { duplicates: 3 } });
    const target = recorder();
    eb.eventBus().putRule({ name: "r", eventPattern: { source: ["app.test"] }, targets: [target] });
    const { Entries } = await eb.putEvents([entry({ n: 1 }), entry({ n: 2 })]);
    await eb.drain();
    const counts = new Map<string, number>();
    for (const e of target.received) counts.set(e.id, (counts.get(e.id) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ [Entries[0]!.EventId!]: 3, [Entries[1]!.EventId!]: 3 });
  });

  it("shuffles delivery order and adds random delays, deterministically for a seed", async () => {
    const order = async (seed: number) => {
      const runtime = createVirtualRuntime({ seed });
      const { eb } = newEventBridge({ runtime, chaos: { shuffle: true, maxDelayMs: 5_000 } });
      const target = recorder();
      eb.eventBus().putRule({ name: "r", eventPattern: { source: ["app.test"] }, targets: [target] });
      await eb.putEvents(Array.from({ length: 10 }, (_, n) => entry({ n })));
      await eb.drain();
      expect(runtime.sleeps.some((ms) => ms > 0)).toBe(true);
      return target.received.map((e) => e.detail.n as number);
    };
    const shuffled = await order(7);
    expect([...shuffled].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(shuffled).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await order(7)).toEqual(shuffled);
  });

  it("can be switched off again", async () => {
    const { eb } = newEventBridge({ chaos: { duplicates: 2 } });
    eb.setChaos(undefined);
    const target = recorder();
    eb.eventBus().putRule({ name: "r", eventPattern: { source: ["app.test"] }, targets: [target] });
    await eb.putEvents([entry()]);
    await eb.drain();
    expect(target.received).toHaveLength(1);
  });
});
