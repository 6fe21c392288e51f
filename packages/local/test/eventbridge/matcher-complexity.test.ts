/**
 * Matching cost is bounded: the hostile pattern/event pairs that made the old backtracking matcher take
 * seconds (exponential in the number of fields) now take a number of steps linear in the event, and the
 * wildcard operator compiles and matches in linear time. Work is asserted with the matcher's step counter,
 * not the wall clock, so these tests do not depend on the machine.
 */
import { describe, expect, it } from "vitest";
import { compilePattern } from "../../src/eventbridge/compile-pattern";
import { isEventBridgeError } from "../../src/eventbridge/errors";
import { MAX_AMBIGUOUS_MATCH_STEPS } from "../../src/eventbridge/limits";
import { type MatchStats, matchesPattern } from "../../src/eventbridge/matcher";
import { parseWildcard, wildcardMatches } from "../../src/eventbridge/wildcard";

/**
 * `x` holds n elements with `a` and n + 1 with `b` (never together, so the pattern cannot match), and k
 * arrays `g0..gk-1` of n values each. Trying every combination of candidate leaves, as the old matcher
 * did, costs about n^k before it finds that `x.a` and `x.b` never share an element: n = 4, k = 10 is a
 * 113-character pattern and a 229-character event, and took 4.3 s.
 */
function hostilePair(n: number, k: number) {
  const x: unknown[] = [];
  for (let i = 0; i < n; i++) x.push({ a: 1 });
  for (let i = 0; i <= n; i++) x.push({ b: 1 });
  const event: Record<string, unknown> = { x };
  const pattern: Record<string, unknown> = { x: { a: [1], b: [1] } };
  for (let j = 0; j < k; j++) {
    event[`g${j}`] = Array.from({ length: n }, () => 1);
    pattern[`g${j}`] = [1];
  }
  return { pattern, event };
}

function steps(pattern: unknown, event: unknown): { result: boolean; steps: number } {
  const stats: MatchStats = { steps: 0 };
  const result = matchesPattern(compilePattern(pattern), event, stats);
  return { result, steps: stats.steps };
}

const stepsOf = ({ pattern, event }: { pattern: unknown; event: unknown }) => steps(pattern, event);

/** Number of leaves of a JSON value (what any matcher must at least look at). */
function leafCount(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + leafCount(v), 0);
  if (typeof value === "object" && value !== null)
    return Object.values(value).reduce((n: number, v) => n + leafCount(v), 0);
  return 1;
}

describe("array-consistent matching is linear in the event", () => {
  it("decides the 229-byte hostile pair in a few hundred steps (the old matcher: 4^10 combinations)", () => {
    const { pattern, event } = hostilePair(4, 10);
    expect(JSON.stringify(pattern)).toHaveLength(113);
    expect(JSON.stringify(event)).toHaveLength(229);
    const { result, steps: work } = steps(pattern, event);
    expect(result).toBe(false);
    expect(work).toBeLessThan(300);
  });

  it("grows linearly, not exponentially, with fields and array sizes", () => {
    const small = stepsOf(hostilePair(4, 10));
    const moreFields = stepsOf(hostilePair(4, 40));
    const largerArrays = stepsOf(hostilePair(40, 10));
    // Four times the fields or ten times the elements: about four and ten times the work, never n^k.
    expect(moreFields.steps).toBeLessThan(small.steps * 5);
    expect(largerArrays.steps).toBeLessThan(small.steps * 12);
    for (const { pattern, event } of [hostilePair(40, 40), hostilePair(200, 20)]) {
      const { result, steps: work } = steps(pattern, event);
      expect(result).toBe(false);
      expect(work).toBeLessThan(4 * leafCount(event));
    }
  });

  it("stays linear through nested arrays (a candidate leaf is visited twice per array level)", () => {
    // Three levels of arrays of arrays; `a` and `b` only ever meet in the last innermost element.
    const inner = (last: boolean) =>
      Array.from({ length: 6 }, (_, i) => (last && i === 5 ? { a: 1, b: 1 } : i % 2 ? { a: 1 } : { b: 1 }));
    const event = {
      x: Array.from({ length: 6 }, (_, i) => Array.from({ length: 6 }, (_, j) => inner(i === 5 && j === 5))),
      ...Object.fromEntries(Array.from({ length: 12 }, (_, j) => [`g${j}`, [1, 1, 1, 1, 1, 1]])),
    };
    const pattern = {
      x: { a: [1], b: [1] },
      ...Object.fromEntries(Array.from({ length: 12 }, (_, j) => [`g${j}`, [1]])),
    };
    // Leaves of x sit in three arrays: one test against the operator, then two visits per level.
    const bound = (1 + 2 * 3) * leafCount(event);
    const matching = steps(pattern, event);
    expect(matching.result).toBe(true);
    expect(matching.steps).toBeLessThan(bound);
    // Take the meeting point away: no element holds both, and the answer is still found at once.
    const lastInner = event.x[5]![5]!;
    lastInner[5] = { a: 1 };
    const apart = steps(pattern, event);
    expect(apart.result).toBe(false);
    expect(apart.steps).toBeLessThan(bound);
  });

  it("evaluates the alternatives shared by $or branches once per leaf", () => {
    const or10 = (name: string) => ({
      $or: Array.from({ length: 10 }, (_, i) => ({ [`${name}${i}`]: [{ wildcard: "*z*" }] })),
    });
    const pattern = { a: or10("k"), b: or10("k"), c: or10("k") };
    expect(compilePattern(pattern).branches).toHaveLength(1000);
    const event = {
      a: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, "y".repeat(1000)])),
      b: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, "y".repeat(1000)])),
      c: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, "y".repeat(1000)])),
    };
    const { result, steps: work } = steps(pattern, event);
    expect(result).toBe(false);
    // 30 leaves of 1,000 characters scanned once each (plus bookkeeping), not 1,000 branches x 3 fields.
    expect(work).toBeLessThan(40_000);
  });

  it("answers ambiguous dot-joined layouts correctly, and refuses pathological ones with a clear error", () => {
    // `a.b` and `a.c` can each come from the array at "a" or from the arrays at "a.b" / "a.c".
    const event = { a: [{ b: 1 }, { c: 2 }], "a.b": [1], "a.c": [9] };
    expect(steps({ a: { b: [1], c: [2] } }, event).result).toBe(true);
    expect(steps({ a: { b: [1], c: [9] } }, event).result).toBe(true);
    expect(steps({ a: { b: [5], c: [2] } }, event).result).toBe(false);
    // Fields that two sibling arrays ("a" and "a.x") can both serve make a covering problem. f1..f(n-1)
    // fit in either array (with z, forced into "a", or w, forced into "a.x"); fn sits alone in a second
    // element of each array, so it can never join z or w: no answer, but every one of the 2^(n-1) ways to
    // place f1..f(n-1) looks fine until fn. Small n is decided; large n hits the budget.
    const covering = (n: number) => {
      const fields = Array.from({ length: n - 1 }, (_, i) => `f${i + 1}`);
      const most = Object.fromEntries(fields.map((f) => [f, 1]));
      return {
        pattern: { a: { x: Object.fromEntries([...fields, "z", "w", `f${n}`].map((f) => [f, [1]])) } },
        event: {
          a: [{ x: { z: 1, ...most } }, { x: { [`f${n}`]: 1 } }],
          "a.x": [{ w: 1, ...most }, { [`f${n}`]: 1 }],
        },
      };
    };
    const small = covering(8);
    expect(steps(small.pattern, small.event).result).toBe(false);
    const solvable = covering(8);
    solvable.event.a[1] = { x: { z: 1, f8: 1 } }; // z and f8 together in "a": f1..f7 all go to "a.x"
    expect(steps(solvable.pattern, solvable.event).result).toBe(true);
    const large = covering(40);
    let caught: unknown;
    const started = performance.now();
    try {
      steps(large.pattern, large.event);
    } catch (error) {
      caught = error;
    }
    expect(isEventBridgeError(caught, "ValidationException")).toBe(true);
    expect((caught as Error).message).toBe(
      `Event is not valid. Reason: matching it needs more than ${MAX_AMBIGUOUS_MATCH_STEPS} steps (the same field in several sibling arrays, through dot-joined keys)`,
    );
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe("wildcard: linear compile and match", () => {
  const distinct = (n: number, from = 0x100) =>
    Array.from({ length: n }, (_, i) => String.fromCharCode(from + i)).join("");

  it("compiles a 4,000-character operand quickly (it used to be quadratic in the alphabet)", () => {
    const started = performance.now();
    compilePattern({ a: [{ wildcard: `*${distinct(2000)}*${distinct(1998, 0x1000)}` }] });
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it("scans each character of the value at most a bounded number of times", () => {
    const tokens = parseWildcard(`ab*${"c".repeat(5)}d*e*f`);
    const value = `ab${"c".repeat(100_000)}d${"x".repeat(100_000)}ef`;
    const stats = { steps: 0 };
    expect(wildcardMatches(tokens, value, stats)).toBe(true);
    expect(stats.steps).toBeLessThanOrEqual(value.length * 2);
    const miss = { steps: 0 };
    expect(wildcardMatches(tokens, `${value.slice(0, -1)}g`, miss)).toBe(false);
    expect(miss.steps).toBeLessThanOrEqual(value.length * 2);
  });

  it("still matches as before: leading, trailing, middle runs, overlaps and empty operands", () => {
    const cases: [string, string, boolean][] = [
      ["", "", true],
      ["", "a", false],
      ["*", "", true],
      ["a*a", "a", false],
      ["a*a", "aa", true],
      ["*ab*ab", "abab", true],
      ["*aab", "aaab", true],
      ["a*b*c", "abc", true],
      ["a*b*c", "acb", false],
      ["*.png", "x.png.jpg", false],
      ["arn:*:s3:::*", "arn:aws:s3:::bucket", true],
      ["\\*x", "*x", true],
      ["\\*x", "ax", false],
    ];
    for (const [operand, value, expected] of cases) {
      expect([operand, value, wildcardMatches(parseWildcard(operand), value)]).toEqual([
        operand,
        value,
        expected,
      ]);
    }
  });
});
