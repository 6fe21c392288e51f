/**
 * Bounds at the edge: nesting depth of Detail, reserved `aws.*` sources, pattern length and depth, and the
 * TestEventPattern event depth. Every refusal is per entry (or per call) with a clear code and message,
 * and a refused event is never delivered, retried or dead-lettered.
 */
import { RDS_SOURCE, rdsDetailTypes } from "@aurora-restore/core";
import { describe, expect, it } from "vitest";
import { compilePattern } from "../../src/eventbridge/compile-pattern";
import { EventBridgeError, isEventBridgeError } from "../../src/eventbridge/errors";
import {
  jsonTextDepth,
  jsonValueDepth,
  MAX_DETAIL_DEPTH,
  MAX_EVENT_DEPTH,
  MAX_EVENT_PATTERN_DEPTH,
  MAX_EVENT_PATTERN_LENGTH,
} from "../../src/eventbridge/index";
import { flattenEvent } from "../../src/eventbridge/matcher";
import { testEventPattern } from "../../src/eventbridge/test-event-pattern";
import { entry, newEventBridge, recorder } from "./helpers";

/** `{"a":{"a":...{"a":1}}}` with `depth` objects (the outermost counts as level 1). */
function nestedObjectText(depth: number): string {
  return `${'{"a":'.repeat(depth - 1)}{"a":1}${"}".repeat(depth - 1)}`;
}

/** An object whose innermost value sits in `depth` nested arrays inside one object: depth + 1 levels. */
function nestedArraysText(depth: number): string {
  return `{"a":${"[".repeat(depth)}1${"]".repeat(depth)}}`;
}

const envelope = {
  id: "1",
  account: "111111111111",
  source: "app.test",
  time: "2025-01-01T00:00:00Z",
  region: "eu-west-1",
  "detail-type": "Thing Happened",
};

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("JSON depth, measured without recursion", () => {
  it("counts objects and arrays, not brackets inside strings", () => {
    expect(jsonTextDepth("1")).toBe(0);
    expect(jsonTextDepth("{}")).toBe(1);
    expect(jsonTextDepth('{"a":[1,{"b":[]}]}')).toBe(4);
    expect(jsonTextDepth('{"a":"[[[{{{\\"]]]"}')).toBe(1);
    expect(jsonTextDepth(nestedObjectText(3000))).toBe(3000);
    expect(jsonValueDepth(JSON.parse('{"a":[1,{"b":[]}]}'))).toBe(4);
    expect(jsonValueDepth(null)).toBe(0);
  });

  it("stops just past the limit, on text of any depth and on cyclic values", () => {
    expect(jsonTextDepth("[".repeat(1_000_000), 10)).toBe(11);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(jsonValueDepth(cyclic, 50)).toBe(51);
    expect(jsonValueDepth(JSON.parse(nestedObjectText(3000)), 100)).toBe(101);
  });
});

describe("PutEvents: Detail nesting", () => {
  it("refuses the 3,000-level, 18 KB hostile detail on its entry, at once, and delivers the others", async () => {
    const { eb } = newEventBridge();
    const target = recorder();
    eb.eventBus().putRule({ name: "all", eventPattern: { source: ["app.test"] }, targets: [target] });
    const hostile = { ...entry(), Detail: nestedObjectText(3000) };
    expect(hostile.Detail.length).toBeGreaterThan(17_000);
    const started = performance.now();
    const result = await eb.putEvents([entry({ n: 1 }), hostile, entry({ n: 3 })]);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries[1]).toEqual({
      ErrorCode: "InvalidArgument",
      ErrorMessage: `Parameter Detail is not valid. Reason: Detail is nested more than ${MAX_DETAIL_DEPTH} levels deep (the local EventBridge's limit).`,
    });
    await eb.drain();
    expect(target.received.map((e) => e.detail.n)).toEqual([1, 3]);
    expect(eb.listDeadLetters()).toEqual([]);
    expect(eb.metrics.invocations).toBe(2);
  });

  it(`accepts exactly ${MAX_DETAIL_DEPTH} levels and refuses ${MAX_DETAIL_DEPTH + 1}, for objects and arrays`, async () => {
    const { eb } = newEventBridge();
    const target = recorder();
    eb.eventBus().putRule({ name: "all", eventPattern: { source: ["app.test"] }, targets: [target] });
    eb.createArchive({ archiveName: "all", eventSourceArn: eb.eventBus().arn });
    const result = await eb.putEvents([
      { ...entry(), Detail: nestedObjectText(MAX_DETAIL_DEPTH) },
      { ...entry(), Detail: nestedObjectText(MAX_DETAIL_DEPTH + 1) },
      { ...entry(), Detail: nestedArraysText(MAX_DETAIL_DEPTH - 1) },
      { ...entry(), Detail: nestedArraysText(MAX_DETAIL_DEPTH) },
    ]);
    expect(result.Entries.map((e) => e.ErrorCode ?? "ok")).toEqual([
      "ok",
      "InvalidArgument",
      "ok",
      "InvalidArgument",
    ]);
    await eb.drain();
    expect(target.received).toHaveLength(2);
    // The deepest accepted detail still goes through every consumer (matching, cloning, the archive).
    expect(eb.archivedEvents("all")).toHaveLength(2);
    expect(eb.listDeadLetters()).toEqual([]);
  });

  it("keeps the other entry checks' order: a missing Source is reported before a deep Detail", async () => {
    const { eb } = newEventBridge();
    const result = await eb.putEvents([{ DetailType: "x", Detail: nestedObjectText(500) }]);
    expect(result.Entries[0]?.ErrorCode).toBe("InvalidArgument");
    expect(result.Entries[0]?.ErrorMessage).toContain("Source is a required argument.");
  });

  it("survives entries that are not objects", async () => {
    const { eb } = newEventBridge();
    const junk = [null, 42, "text"] as unknown as Parameters<typeof eb.putEvents>[0];
    const result = await eb.putEvents(junk);
    expect(result.FailedEntryCount).toBe(3);
    expect(result.Entries.every((e) => e.ErrorCode === "InvalidArgument")).toBe(true);
  });
});

describe("PutEvents: reserved aws.* sources", () => {
  const rdsEntry = () => ({
    Source: RDS_SOURCE,
    DetailType: rdsDetailTypes.cluster,
    Detail: JSON.stringify({ EventID: "RDS-EVENT-0170", SourceIdentifier: "staging-db" }),
  });

  it("refuses aws.rds (and any aws.* source) from an ordinary caller, as AWS does", async () => {
    const { eb } = newEventBridge();
    const target = recorder();
    eb.eventBus().putRule({ name: "rds", eventPattern: { source: [{ prefix: "aws." }] }, targets: [target] });
    const result = await eb.putEvents([
      rdsEntry(),
      { ...rdsEntry(), Source: "aws.events" },
      { ...rdsEntry(), Source: "aws.scheduler" },
      { ...rdsEntry(), Source: "awsome.app" },
    ]);
    expect(result.Entries.slice(0, 3)).toEqual(
      Array.from({ length: 3 }, () => ({
        ErrorCode: "NotAuthorizedForSourceException",
        ErrorMessage: "Not authorized for the source.",
      })),
    );
    expect(result.Entries[3]?.EventId).toBeDefined();
    expect(result.FailedEntryCount).toBe(3);
    await eb.drain();
    expect(target.received).toEqual([]);
  });

  it("refuses it through a bus's own putEvents too", async () => {
    const { eb } = newEventBridge();
    const bus = eb.eventBus("default", { account: "222222222222" });
    const result = await bus.putEvents([rdsEntry()]);
    expect(result.Entries[0]?.ErrorCode).toBe("NotAuthorizedForSourceException");
  });

  it("lets the local RDS publish aws.rds, and only aws.rds, with its service option", async () => {
    const { eb } = newEventBridge();
    const target = recorder();
    eb.eventBus().putRule({ name: "rds", eventPattern: { source: [RDS_SOURCE] }, targets: [target] });
    const asRds = { awsServiceSource: RDS_SOURCE };
    const result = await eb.putEvents([rdsEntry(), { ...rdsEntry(), Source: "aws.events" }], {}, asRds);
    expect(result.Entries[0]?.EventId).toBeDefined();
    expect(result.Entries[1]?.ErrorCode).toBe("NotAuthorizedForSourceException");
    const viaBus = await eb.eventBus().putEvents([rdsEntry()], asRds);
    expect(viaBus.FailedEntryCount).toBe(0);
    await eb.drain();
    expect(target.received).toHaveLength(2);
    expect(target.received[0]).toMatchObject({ source: RDS_SOURCE, account: "111111111111" });
  });

  it("forwards an RDS event to another account's bus (forwarding is not a PutEvents call)", async () => {
    const { eb } = newEventBridge();
    const pipeline = eb.eventBus("default", { account: "222222222222" });
    const got = recorder();
    pipeline.putRule({ name: "rds", eventPattern: { source: [RDS_SOURCE] }, targets: [got] });
    const production = eb.eventBus("default", { account: "333333333333" });
    production.putRule({ name: "fwd", eventPattern: { source: [RDS_SOURCE] }, targets: [pipeline.arn] });
    await production.putEvents([rdsEntry()], { awsServiceSource: RDS_SOURCE });
    await eb.drain();
    expect(got.received).toHaveLength(1);
    expect(got.received[0]?.account).toBe("333333333333");
  });
});

describe("event patterns: length and depth", () => {
  /** A valid pattern whose JSON text is exactly `length` characters. */
  function patternOfLength(length: number): string {
    const head = '{"source":["';
    const tail = '"]}';
    return `${head}${"x".repeat(length - head.length - tail.length)}${tail}`;
  }

  it(`accepts ${MAX_EVENT_PATTERN_LENGTH} characters and refuses one more, as text or as an object`, () => {
    expect(() => compilePattern(patternOfLength(MAX_EVENT_PATTERN_LENGTH))).not.toThrow();
    const text = patternOfLength(MAX_EVENT_PATTERN_LENGTH + 1);
    for (const pattern of [text, JSON.parse(text)]) {
      const error = thrown(() => compilePattern(pattern));
      expect(error).toBeInstanceOf(EventBridgeError);
      expect(error).toMatchObject({
        code: "ValidationException",
        message: `1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to ${MAX_EVENT_PATTERN_LENGTH}`,
      });
    }
  });

  it("refuses a long pattern at PutRule and at TestEventPattern", () => {
    const { eb } = newEventBridge();
    const long = patternOfLength(MAX_EVENT_PATTERN_LENGTH + 1);
    expect(() => eb.eventBus().putRule({ name: "long", eventPattern: long })).toThrow(/less than or equal/);
    expect(eb.eventBus().listRules()).toEqual([]);
    expect(() => testEventPattern(long, envelope)).toThrow(/less than or equal to 4096/);
  });

  it(`refuses a pattern nested more than ${MAX_EVENT_PATTERN_DEPTH} levels with InvalidEventPatternException`, () => {
    const ok = `${'{"a":'.repeat(MAX_EVENT_PATTERN_DEPTH - 1)}["x"]${"}".repeat(MAX_EVENT_PATTERN_DEPTH - 1)}`;
    expect(jsonTextDepth(ok)).toBe(MAX_EVENT_PATTERN_DEPTH);
    expect(compilePattern(ok).branches[0]?.[0]?.path.split(".")).toHaveLength(MAX_EVENT_PATTERN_DEPTH - 1);
    const deep = `{"b":${ok}}`;
    for (const pattern of [deep, JSON.parse(deep)]) {
      const error = thrown(() => compilePattern(pattern));
      expect(isEventBridgeError(error, "InvalidEventPatternException")).toBe(true);
      expect((error as Error).message).toBe(
        `Event pattern is not valid. Reason: Filter is nested deeper than ${MAX_EVENT_PATTERN_DEPTH} levels`,
      );
    }
  });

  it("refuses a 3,000-level pattern object quickly, without overflowing the stack", () => {
    const deep = JSON.parse(nestedObjectText(3000));
    const started = performance.now();
    expect(() => compilePattern(deep)).toThrow(/nested deeper than/);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("gives an archive's managed rule room for its replay-name clause", () => {
    const { eb } = newEventBridge();
    const own = JSON.parse(patternOfLength(MAX_EVENT_PATTERN_LENGTH));
    eb.createArchive({ archiveName: "full", eventSourceArn: eb.eventBus().arn, eventPattern: own });
    const managed = eb.eventBus().listRules()[0]!;
    expect(managed.eventPattern.length).toBeGreaterThan(MAX_EVENT_PATTERN_LENGTH);
  });
});

describe("TestEventPattern and the matcher: event depth", () => {
  it(`refuses an event nested more than ${MAX_EVENT_DEPTH} levels, as text or as a value`, () => {
    const deepDetail = JSON.parse(nestedObjectText(3000));
    const event = { ...envelope, detail: deepDetail };
    for (const input of [event, JSON.stringify(event)]) {
      const error = thrown(() => testEventPattern({ source: ["app.test"] }, input));
      expect(isEventBridgeError(error, "ValidationException")).toBe(true);
      expect((error as Error).message).toContain(`nested more than ${MAX_EVENT_DEPTH} levels deep`);
    }
    const deepest = { ...envelope, detail: JSON.parse(nestedObjectText(MAX_DETAIL_DEPTH)) };
    expect(testEventPattern({ source: ["app.test"] }, deepest)).toBe(true);
  });

  it("refuses to flatten a too-deep value with a validation error, not a RangeError", () => {
    const error = thrown(() => flattenEvent(JSON.parse(nestedArraysText(100_000))));
    expect(isEventBridgeError(error, "ValidationException")).toBe(true);
    expect((error as Error).message).toBe(
      `Event is not valid. Reason: it is nested deeper than ${MAX_EVENT_DEPTH} levels`,
    );
  });
});
