/**
 * Runs every vector of ../shared/conformance/eventbridge (relative to the repository root) against the local
 * matcher and validator. The vectors are not copied into the project; without them the suite is skipped.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compilePattern } from "../../src/eventbridge/compile-pattern";
import { isEventBridgeError } from "../../src/eventbridge/errors";
import { matchesPattern } from "../../src/eventbridge/matcher";
import { TEST_EVENT_REQUIRED_FIELDS, testEventPattern } from "../../src/eventbridge/test-event-pattern";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const vectorsDir = path.resolve(repoRoot, "../shared/conformance/eventbridge");
const available = existsSync(path.join(vectorsDir, "patterns.json"));
if (!available) {
  console.warn(`EventBridge conformance vectors not found at ${vectorsDir}: conformance suite skipped.`);
}

interface PatternVector {
  id: string;
  pattern: unknown;
  event: unknown;
  matches: boolean;
}
interface InvalidVector {
  id: string;
  pattern: unknown;
  event: unknown;
  expect_error: { code: string; message: string };
}
interface RawVector {
  id: string;
  pattern_raw: string;
  event_raw: string;
  matches: boolean;
}

function load<T>(file: string): T[] {
  return available ? (JSON.parse(readFileSync(path.join(vectorsDir, file), "utf8")) as T[]) : [];
}

const patterns = load<PatternVector>("patterns.json");
const invalid = load<InvalidVector>("invalid-patterns.json");
const raw = load<RawVector>("raw-quirks.json");

describe.skipIf(!available)(`EventBridge conformance: patterns.json (${patterns.length} triples)`, () => {
  it("holds the 139 documented triples", () => {
    expect(patterns).toHaveLength(139);
  });
  it.each(patterns.map((v, i) => [`${i + 1}/${patterns.length} ${v.id}`, v] as const))("%s", (_name, v) => {
    // The moto/event-ruler/doc vectors carry partial events (e.g. only `detail`) that TestEventPattern would
    // refuse as "Parameter Event is not valid."; those go to the matcher directly, full envelopes go through
    // the API function with its input validation.
    const fullEnvelope = TEST_EVENT_REQUIRED_FIELDS.every((f) => f in (v.event as object));
    const result = fullEnvelope
      ? testEventPattern(v.pattern, v.event)
      : matchesPattern(compilePattern(v.pattern), v.event);
    expect(result).toBe(v.matches);
  });
});

describe.skipIf(!available)(
  `EventBridge conformance: invalid-patterns.json (${invalid.length} cases)`,
  () => {
    it("holds the 38 documented cases", () => {
      expect(invalid).toHaveLength(38);
    });
    it.each(invalid.map((v, i) => [`${i + 1}/${invalid.length} ${v.id}`, v] as const))("%s", (_name, v) => {
      let caught: unknown;
      try {
        testEventPattern(v.pattern, v.event);
      } catch (error) {
        caught = error;
      }
      expect(isEventBridgeError(caught)).toBe(true);
      expect({ code: (caught as { code: string }).code, message: (caught as Error).message }).toEqual(
        v.expect_error,
      );
      // PutRule validates with the same compiler: the pattern alone is refused the same way.
      expect(() => compilePattern(v.pattern)).toThrow(v.expect_error.message);
    });
  },
);

describe.skipIf(!available)(`EventBridge conformance: raw-quirks.json (${raw.length} raw cases)`, () => {
  it.each(raw.map((v, i) => [`${i + 1}/${raw.length} ${v.id}`, v] as const))("%s", (_name, v) => {
    expect(testEventPattern(v.pattern_raw, v.event_raw)).toBe(v.matches);
  });
});
