/** The project's own tests for every operator and quirk, independent of the shared conformance vectors. */
import { describe, expect, it } from "vitest";
import { compilePattern } from "../../src/eventbridge/compile-pattern";
import { InvalidEventPatternError } from "../../src/eventbridge/errors";
import { matchesPattern } from "../../src/eventbridge/matcher";
import { testEventPattern } from "../../src/eventbridge/test-event-pattern";

const matches = (pattern: unknown, event: unknown) => matchesPattern(compilePattern(pattern), event);
const detail = (value: unknown) => ({ detail: { f: value } });
const onF = (...alternatives: unknown[]) => ({ detail: { f: alternatives } });

type Case = [name: string, pattern: unknown, event: unknown, expected: boolean];

const cases: Case[] = [
  // exact values
  ["string equal", onF("a"), detail("a"), true],
  ["string case-sensitive", onF("a"), detail("A"), false],
  ["number literal 300 equals 300.0", onF(300), detail(300.0), true],
  ["number vs string never equal", onF(300), detail("300"), false],
  ["string vs number never equal", onF("300"), detail(300), false],
  ["boolean", onF(false), detail(false), true],
  ["boolean NEG", onF(false), detail(true), false],
  ["null matches null", onF(null), detail(null), true],
  ["null does not match 'null'", onF(null), detail("null"), false],
  ["empty string", onF(""), detail(""), true],
  ["empty string is not null", onF(""), detail(null), false],
  ["OR within the list", onF("a", "b"), detail("b"), true],
  ["missing field does not match", onF("a"), { detail: {} }, false],
  ["literal * is not a glob", onF("*"), detail("anything"), false],
  ["IP literal equals its expanded form", onF("2001:db8::1"), detail("2001:0db8:0:0:0:0:0:1"), true],
  // nested, dotted, arrays
  ["nested object", { detail: { a: { b: ["x"] } } }, { detail: { a: { b: "x" } } }, true],
  ["dotted key in event", { detail: { a: { b: ["x"] } } }, { detail: { "a.b": "x" } }, true],
  ["dotted key in pattern", { "detail.a.b": ["x"] }, { detail: { a: { b: "x" } } }, true],
  ["stringified detail is not parsed", { detail: { a: ["x"] } }, { detail: '{"a":"x"}' }, false],
  ["array: any element", onF("b"), detail(["a", "b"]), true],
  ["array: no common element", onF("c"), detail(["a", "b"]), false],
  ["empty event array has no value", onF(null), detail([]), false],
  [
    "array of objects crushed",
    { detail: { e: { n: ["x"] } } },
    { detail: { e: [{ n: "y" }, { n: "x" }] } },
    true,
  ],
  [
    "array consistency: fields from one element",
    { detail: { e: { n: ["x"], m: ["2"] } } },
    {
      detail: {
        e: [
          { n: "x", m: "1" },
          { n: "y", m: "2" },
        ],
      },
    },
    false,
  ],
  [
    "array consistency: same element matches",
    { detail: { e: { n: ["y"], m: ["2"] } } },
    {
      detail: {
        e: [
          { n: "x", m: "1" },
          { n: "y", m: "2" },
        ],
      },
    },
    true,
  ],
  // prefix / suffix / equals-ignore-case
  ["prefix", onF({ prefix: "ab" }), detail("abc"), true],
  ["prefix NEG", onF({ prefix: "ab" }), detail("xabc"), false],
  ["prefix never matches numbers", onF({ prefix: "1" }), detail(12), false],
  ["prefix empty matches any string", onF({ prefix: "" }), detail("x"), true],
  ["prefix ignore case", onF({ prefix: { "equals-ignore-case": "AB" } }), detail("abc"), true],
  ["suffix", onF({ suffix: ".png" }), detail("a.png"), true],
  ["suffix case-sensitive", onF({ suffix: ".PNG" }), detail("a.png"), false],
  ["suffix ignore case", onF({ suffix: { "equals-ignore-case": ".PNG" } }), detail("a.png"), true],
  ["equals-ignore-case", onF({ "equals-ignore-case": "AbC" }), detail("aBc"), true],
  ["equals-ignore-case empty only matches empty", onF({ "equals-ignore-case": "" }), detail("x"), false],
  // wildcard
  ["wildcard spans slashes", onF({ wildcard: "a/*/z" }), detail("a/b/c/z"), true],
  ["wildcard anchored", onF({ wildcard: "a*" }), detail("ba"), false],
  ["wildcard zero chars", onF({ wildcard: "init*" }), detail("init"), true],
  ["wildcard several stars", onF({ wildcard: "*a*b*" }), detail("xxaxxbxx"), true],
  ["wildcard escaped star", onF({ wildcard: "a\\*b" }), detail("a*b"), true],
  ["wildcard escaped star is literal", onF({ wildcard: "a\\*b" }), detail("axb"), false],
  ["wildcard escaped backslash", onF({ wildcard: "a\\\\b" }), detail("a\\b"), true],
  ["wildcard empty matches only empty", onF({ wildcard: "" }), detail("x"), false],
  // anything-but
  ["anything-but string", onF({ "anything-but": "a" }), detail("b"), true],
  ["anything-but string NEG", onF({ "anything-but": "a" }), detail("a"), false],
  ["anything-but missing field", onF({ "anything-but": "a" }), { detail: {} }, false],
  ["anything-but null value matches", onF({ "anything-but": "a" }), detail(null), true],
  ["anything-but numbers", onF({ "anything-but": [1, 2] }), detail(3), true],
  ["anything-but numbers NEG", onF({ "anything-but": [1, 2] }), detail(2.0), false],
  ["anything-but numeric vs string value", onF({ "anything-but": [111] }), detail("111"), true],
  ["anything-but array: one element not excluded", onF({ "anything-but": ["a"] }), detail(["a", "b"]), true],
  ["anything-but array: all excluded", onF({ "anything-but": ["a", "b"] }), detail(["a", "b"]), false],
  ["anything-but prefix", onF({ "anything-but": { prefix: "in" } }), detail("out"), true],
  ["anything-but prefix list NEG", onF({ "anything-but": { prefix: ["in", "ou"] } }), detail("out"), false],
  ["anything-but prefix on number", onF({ "anything-but": { prefix: "1" } }), detail(12), true],
  ["anything-but suffix NEG", onF({ "anything-but": { suffix: ".txt" } }), detail("a.txt"), false],
  [
    "anything-but ignore case NEG",
    onF({ "anything-but": { "equals-ignore-case": ["X"] } }),
    detail("x"),
    false,
  ],
  ["anything-but wildcard", onF({ "anything-but": { wildcard: "*/lib/*" } }), detail("a/src/b"), true],
  ["anything-but wildcard NEG", onF({ "anything-but": { wildcard: "*/lib/*" } }), detail("a/lib/b"), false],
  // numeric
  ["numeric range", onF({ numeric: [">", 0, "<=", 5] }), detail(5), true],
  ["numeric lower open", onF({ numeric: [">", 0, "<=", 5] }), detail(0), false],
  ["numeric =", onF({ numeric: ["=", 3.5] }), detail(3.5), true],
  ["numeric < boundary", onF({ numeric: ["<", 1] }), detail(1), false],
  ["numeric >= boundary", onF({ numeric: [">=", 1] }), detail(1), true],
  ["numeric never matches strings", onF({ numeric: [">", 1] }), detail("5"), false],
  ["numeric never matches null", onF({ numeric: [">", 1] }), detail(null), false],
  // exists
  ["exists true", onF({ exists: true }), detail("x"), true],
  ["exists true on null", onF({ exists: true }), detail(null), true],
  ["exists true on object is false", onF({ exists: true }), detail({ a: 1 }), false],
  ["exists true on empty array is false", onF({ exists: true }), detail([]), false],
  ["exists false when missing", onF({ exists: false }), { detail: {} }, true],
  ["exists false when parent missing", { detail: { a: { b: [{ exists: false }] } } }, { detail: {} }, true],
  ["exists false on object value", onF({ exists: false }), detail({ a: 1 }), true],
  ["exists false on null value", onF({ exists: false }), detail(null), false],
  ["exists false OR anything-but", onF({ "anything-but": ["r"] }, { exists: false }), { detail: {} }, true],
  // cidr
  ["cidr v4 in", onF({ cidr: "10.0.0.0/24" }), detail("10.0.0.255"), true],
  ["cidr v4 out", onF({ cidr: "10.0.0.0/24" }), detail("10.0.1.0"), false],
  ["cidr v4 invalid address", onF({ cidr: "10.0.0.0/24" }), detail("10.0.0.256"), false],
  [
    "cidr v6 expanded",
    onF({ cidr: "2001:db8::/32" }),
    detail("2001:0db8:ffff:0000:0000:0000:0000:0001"),
    true,
  ],
  ["cidr v6 out", onF({ cidr: "2001:db8::/32" }), detail("2001:db9::1"), false],
  ["cidr on number", onF({ cidr: "10.0.0.0/8" }), detail(10), false],
  // $or
  ["$or nested", { detail: { $or: [{ a: ["1"] }, { b: ["2"] }] } }, { detail: { b: "2" } }, true],
  ["$or nested NEG", { detail: { $or: [{ a: ["1"] }, { b: ["2"] }] } }, { detail: { b: "3" } }, false],
  [
    "$or top level",
    { $or: [{ source: ["x"] }, { detail: { a: ["1"] } }] },
    { source: "y", detail: { a: "1" } },
    true,
  ],
  [
    "$or ANDed with siblings",
    { source: ["s"], $or: [{ a: ["1"] }, { b: ["2"] }] },
    { source: "t", a: "1" },
    false,
  ],
  ["$or with one object is a field name", { $or: [{ prefix: "x" }] }, { $or: "xy" }, true],
];

describe("event pattern operators", () => {
  it.each(cases)("%s", (_name, pattern, event, expected) => {
    expect(matches(pattern, event)).toBe(expected);
  });
});

describe("event pattern validation", () => {
  const rejects = (pattern: unknown, reason: string) => {
    expect(() => compilePattern(pattern)).toThrow(new InvalidEventPatternError(reason));
  };
  it("rejects AWS's invalid shapes with AWS's reasons", () => {
    rejects([], "Filter is not an object");
    rejects({}, "Empty objects are not allowed");
    rejects({ a: [] }, "Empty arrays are not allowed");
    rejects({ a: 1 }, '"a" must be an object or an array');
    rejects({ a: [[1]] }, "Match value must be String, number, true, false, or null");
    rejects({ a: [{}] }, "Match expression name not found");
    rejects({ a: [{ Prefix: "x" }] }, "Unrecognized match type Prefix");
    rejects({ a: [{ prefix: "x", suffix: "y" }] }, "Only one key allowed in match expression");
    rejects({ a: [{ wildcard: "a\\b" }] }, "Invalid escape character at pos 2");
    rejects({ a: [{ wildcard: "x**" }] }, "Consecutive wildcard characters at pos 2");
    rejects({ a: [{ numeric: ["<", 5, ">", 1] }] }, "Too many elements in numeric expression");
    rejects({ a: [{ numeric: [">", 5, "<", 1] }] }, "Bottom must be less than top");
    rejects({ a: [{ numeric: ["!=", 5] }] }, "Unrecognized numeric range operator: !=");
    rejects({ a: [{ numeric: [">", "5"] }] }, "Value of > must be numeric");
    rejects({ a: [{ exists: "yes" }] }, "exists match pattern must be either true or false.");
    rejects({ a: [{ cidr: "10.0.0.0/33" }] }, "IPv4 mask bits must be < 32");
    rejects({ a: [{ cidr: "10.0.0.0/-1" }] }, "Malformed CIDR, mask bits must not be negative");
    rejects(
      { a: [{ "anything-but": [1, "a"] }] },
      "Inside anything but list, either all values are number or string, mixed type is not supported",
    );
    rejects({ a: [{ "anything-but": { exists: true } }] }, "Unsupported anything-but pattern: exists");
    rejects({ a: [{ prefix: { suffix: "x" } }] }, "Unsupported prefix pattern: suffix");
  });

  it("rejects $or expanding to more than 1000 combinations, accepts 1000", () => {
    const or10 = () => ({ $or: Array.from({ length: 10 }, (_, i) => ({ [`k${i}`]: ["v"] })) });
    expect(compilePattern({ a: or10(), b: or10(), c: or10() }).branches).toHaveLength(1000);
    expect(() =>
      compilePattern({ a: or10(), b: or10(), c: or10(), d: { $or: [{ x: ["1"] }, { y: ["2"] }] } }),
    ).toThrow(/at most 1000/);
  });

  it("keeps the last of duplicate keys (JSON text)", () => {
    expect(matches('{"f": ["a"], "f": ["b"]}', { f: "b" })).toBe(true);
    expect(matches('{"f": ["a"], "f": ["b"]}', { f: "a" })).toBe(false);
  });
});

describe("testEventPattern input validation", () => {
  const event = { id: "1", account: "1", source: "s", time: "t", region: "r", "detail-type": "d" };
  it("requires a JSON object with the envelope fields", () => {
    for (const bad of [
      '"text"',
      "[]",
      '{"testEvent":"value"}',
      "{oops",
      JSON.stringify({ ...event, id: undefined }),
    ]) {
      expect(() => testEventPattern({ source: ["s"] }, bad)).toThrow("Parameter Event is not valid.");
    }
    expect(testEventPattern('{"source": ["s"]}', JSON.stringify(event))).toBe(true);
  });
});
