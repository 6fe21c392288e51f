/**
 * Property tests (fast-check) for the bounds: random JSON events and patterns, including very deep and
 * very large ones, never make the matcher, the pattern compiler, TestEventPattern or PutEvents throw
 * anything but a clear EventBridgeError, and the matcher's work stays within a bound. The new
 * array-consistent matcher is also checked against an exhaustive reference on small events. 550 runs in all.
 */

import { RDS_SOURCE } from "@aurora-restore/core/events/rds";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePattern } from "../../src/eventbridge/compile-pattern";
import { isEventBridgeError } from "../../src/eventbridge/errors";
import { jsonTextDepth, MAX_DETAIL_DEPTH } from "../../src/eventbridge/limits";
import { type MatchStats, matchesPattern, valueMatches } from "../../src/eventbridge/matcher";
import type { CompiledPattern } from "../../src/eventbridge/pattern-types";
import { testEventPattern } from "../../src/eventbridge/test-event-pattern";
import { newEventBridge, recorder } from "./helpers";

// ---- an exhaustive reference for array-consistent matching (small inputs only) --------------------------

interface RefLeaf {
  value: string | number | boolean | null;
  chain: [number, number][];
}

function refFlatten(event: unknown): Map<string, RefLeaf[]> {
  const flat = new Map<string, RefLeaf[]>();
  let arrays = 0;
  const walk = (value: unknown, path: string, chain: [number, number][]) => {
    if (Array.isArray(value)) {
      const id = arrays++;
      value.forEach((item, i) => {
        walk(item, path, [...chain, [id, i]]);
      });
    } else if (typeof value === "object" && value !== null) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k, chain);
    } else if (path) {
      flat.set(path, [...(flat.get(path) ?? []), { value: value as RefLeaf["value"], chain }]);
    }
  };
  walk(event, "", []);
  return flat;
}

/** Every combination of one candidate leaf per field, kept when all pairs agree on shared arrays. */
function refMatches(pattern: CompiledPattern, event: unknown): boolean {
  const flat = refFlatten(event);
  const agree = (a: RefLeaf, b: RefLeaf) =>
    a.chain.every(([id, i]) => b.chain.every(([id2, j]) => id !== id2 || i === j));
  return pattern.branches.some((branch) => {
    const pending: RefLeaf[][] = [];
    for (const rule of branch) {
      const entries = flat.get(rule.path) ?? [];
      const absence = rule.matchers.some((m) => m.kind === "exists" && !m.value);
      if (absence && entries.length === 0) continue;
      const positive = rule.matchers.filter((m) => !(m.kind === "exists" && !m.value));
      const leaves = entries.filter((e) => positive.some((m) => valueMatches(m, e.value)));
      if (leaves.length === 0) return false;
      pending.push(leaves);
    }
    const chosen: RefLeaf[] = [];
    const search = (i: number): boolean => {
      if (i === pending.length) return true;
      for (const leaf of pending[i]!) {
        if (!chosen.every((c) => agree(c, leaf))) continue;
        chosen.push(leaf);
        if (search(i + 1)) return true;
        chosen.pop();
      }
      return false;
    };
    return search(0);
  });
}

// ---- generators -----------------------------------------------------------------------------------------

const key = fc.constantFrom("a", "b", "c", "a.b");
const scalar = fc.constantFrom<string | number | boolean | null>(1, 2, "x", "y", null, true);

/** Small events full of arrays (and dot-joined keys), where array consistency decides the answer. */
const smallEvent = fc.letrec<{ value: unknown; object: Record<string, unknown> }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("value"), { maxLength: 3 }),
    tie("object"),
  ),
  object: fc.dictionary(key, tie("value"), { maxKeys: 3 }),
})).object;

const operand = fc.oneof(
  scalar,
  fc.constantFrom(
    { exists: true },
    { exists: false },
    { "anything-but": "x" },
    { prefix: "x" },
    { numeric: [">", 1] },
    { wildcard: "*" },
  ),
);

const smallPattern = fc.letrec<{ object: Record<string, unknown>; field: unknown }>((tie) => ({
  field: fc.oneof({ depthSize: "small" }, fc.array(operand, { minLength: 1, maxLength: 3 }), tie("object")),
  object: fc.oneof(
    { depthSize: "small" },
    fc.dictionary(key, tie("field"), { minKeys: 1, maxKeys: 3 }),
    fc
      .tuple(fc.dictionary(key, tie("field"), { minKeys: 1, maxKeys: 2 }), tie("object"), tie("object"))
      .map(([own, left, right]) => ({ ...own, $or: [left, right] })),
  ),
})).object;

/**
 * Events where array consistency is what decides: arrays of objects whose fields the pattern names
 * together (`x.a` and `x.b` from one element), nested arrays, and dot-joined keys that put the same
 * field in sibling arrays (`"x.a": [...]` beside `x: [{a}]`).
 */
const two = fc.constantFrom(1, 2);
const element = fc.letrec<{ element: Record<string, unknown>; items: unknown[] }>((tie) => ({
  element: fc.record(
    { a: two, b: two, c: fc.oneof({ depthSize: "small" }, tie("items"), two) },
    { requiredKeys: ["a"] },
  ),
  items: fc.array(fc.oneof({ depthSize: "small" }, tie("element"), tie("items")), { maxLength: 3 }),
}));
const arrayEvent = fc.record(
  {
    x: element.items,
    y: element.items,
    "x.a": fc.array(two, { maxLength: 2 }),
    "x.c": element.items,
  },
  { requiredKeys: ["x"] },
);
const values = fc.constantFrom([1], [2], [1, 2], [1, 2]);
const fields = fc.record(
  { a: values, b: values, c: fc.record({ a: values, b: values }, { requiredKeys: [] }) },
  { requiredKeys: [] },
);
const arrayPattern = fc
  .record({ x: fields, y: fields, "x.c": fields }, { requiredKeys: ["x"] })
  .filter((p) => JSON.stringify(p).includes("["));

/** Wraps a value in `depth` arrays or objects: deep values of every size, the hostile kind included. */
function deepen(value: unknown, depth: number, useArrays: boolean): unknown {
  let current = value;
  for (let i = 0; i < depth; i++) current = useArrays ? [current] : { a: current };
  return current;
}

const anyJson = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 5 }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.jsonValue({ maxDepth: 3 }), fc.integer({ min: 0, max: 3_000 }), fc.boolean())
      .map(([v, depth, arrays]) => deepen(v, depth, arrays)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 8 }), fc.integer({ min: 1, max: 5_000 }))
      .map(([s, n]) => ({ big: Array.from({ length: n }, (_, i) => `${s}${i}`) })),
  },
);

function onlyEventBridgeErrors<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (!isEventBridgeError(error)) throw error;
    expect(error.message.length).toBeGreaterThan(0);
    return undefined;
  }
}

// ---- properties -----------------------------------------------------------------------------------------

describe("the array-consistent matcher", () => {
  const outcomes = { matched: 0, unmatched: 0 };
  const agrees = (pattern: unknown, event: unknown) => {
    const compiled = onlyEventBridgeErrors(() => compilePattern(pattern));
    if (!compiled) return;
    const expected = refMatches(compiled, event);
    expect(matchesPattern(compiled, event)).toBe(expected);
    outcomes[expected ? "matched" : "unmatched"]++;
  };

  it("agrees with an exhaustive search on small events (200 runs)", () => {
    fc.assert(fc.property(smallPattern, smallEvent, agrees), { numRuns: 100 });
    fc.assert(fc.property(arrayPattern, arrayEvent, agrees), { numRuns: 100 });
    // Both answers were exercised, so agreement is not vacuous.
    expect(outcomes.matched).toBeGreaterThan(2);
    expect(outcomes.unmatched).toBeGreaterThan(2);
  });
});

describe("hostile JSON", () => {
  it("patterns and events of any shape: only validation errors, and bounded work (150 runs)", () => {
    fc.assert(
      fc.property(anyJson, anyJson, (patternValue, event) => {
        const compiled = onlyEventBridgeErrors(() => compilePattern(patternValue));
        if (!compiled) return;
        const stats: MatchStats = { steps: 0 };
        const result = onlyEventBridgeErrors(() => matchesPattern(compiled, event, stats));
        if (result !== undefined) expect(typeof result).toBe("boolean");
        // Linear in each input: never more work than (pattern size) x (event size).
        const size = (v: unknown) => (JSON.stringify(v) ?? "").length + 1;
        expect(stats.steps).toBeLessThanOrEqual(4 * size(patternValue) * size(event));
      }),
      { numRuns: 150 },
    );
  });

  it("TestEventPattern on raw text, deep or not: a result or a clear error (100 runs)", () => {
    const text = fc.oneof(
      fc.json({ maxDepth: 4 }),
      fc.string({ maxLength: 50 }),
      fc
        .tuple(fc.integer({ min: 1, max: 5_000 }), fc.constantFrom("[", '{"a":', '{"source":'))
        .map(([n, open]) => open.repeat(n)),
      anyJson.map((v) => JSON.stringify({ source: ["s"], detail: v }) ?? "{}"),
    );
    const envelope = { id: "1", account: "1", source: "s", time: "t", region: "r", "detail-type": "d" };
    const eventText = fc.oneof(
      text,
      anyJson.map((detail) => JSON.stringify({ ...envelope, detail })),
    );
    fc.assert(
      fc.property(text, eventText, (pattern, event) => {
        const result = onlyEventBridgeErrors(() => testEventPattern(pattern, event));
        if (result !== undefined) expect(typeof result).toBe("boolean");
      }),
      { numRuns: 100 },
    );
  });
});

describe("PutEvents with hostile entries", () => {
  const source = fc.oneof(
    fc.constantFrom("app.test", RDS_SOURCE, "aws.events", "aws.", "awsx", ""),
    fc.string({ maxLength: 12 }),
  );
  const detail = fc.oneof(
    anyJson.map((v) => JSON.stringify(v) ?? "null"),
    fc.dictionary(fc.string({ maxLength: 4 }), anyJson, { maxKeys: 3 }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 30 }),
  );
  const entries = fc.array(
    fc.record({ Source: source, DetailType: fc.constantFrom("T", ""), Detail: detail }),
    { minLength: 1, maxLength: 10 },
  );

  it("refuses per entry with documented codes, delivers the rest exactly once (100 runs)", async () => {
    const { eb } = newEventBridge({ maxRequestSizeBytes: 64 * 1024 * 1024 });
    const target = recorder();
    eb.eventBus().putRule({ name: "all", eventPattern: { "detail-type": ["T"] }, targets: [target] });
    let delivered = 0;
    await fc.assert(
      fc.asyncProperty(entries, async (batch) => {
        const result = await eb.putEvents(batch);
        expect(result.Entries).toHaveLength(batch.length);
        expect(result.FailedEntryCount).toBe(result.Entries.filter((e) => e.ErrorCode).length);
        batch.forEach((sent, i) => {
          const got = result.Entries[i]!;
          if (sent.Source.startsWith("aws.")) {
            expect(got.ErrorCode).toBe("NotAuthorizedForSourceException");
          } else if (got.EventId) {
            expect(jsonTextDepth(sent.Detail)).toBeLessThanOrEqual(MAX_DETAIL_DEPTH);
          } else {
            expect(["InvalidArgument", "MalformedDetail"]).toContain(got.ErrorCode);
          }
        });
        await eb.drain();
        const accepted = result.Entries.filter((e) => e.EventId).map((e) => e.EventId);
        const now = target.received.slice(delivered).map((e) => e.id);
        expect(now.sort()).toEqual([...accepted].sort());
        delivered = target.received.length;
      }),
      { numRuns: 100 },
    );
    expect(eb.listDeadLetters()).toEqual([]);
  });
});
