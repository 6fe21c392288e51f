import { EventBridgeSchema } from "@aws-lambda-powertools/parser/schemas/eventbridge";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boundedEventBridgeSchema } from "../../src/events/contract";
import { ClusterAvailable } from "../../src/events/domain";
import { PIPELINE_SOURCE } from "../../src/events/names";

/**
 * The pipeline's envelope schema is written out instead of extending Powertools' EventBridgeSchema (which
 * would bundle all of zod's locales): it must stay a narrowing of it, with the same fields.
 */

const valid = {
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  source: PIPELINE_SOURCE,
  account: "222222222222",
  time: "2026-11-28T03:00:00Z",
  region: "eu-west-1",
  resources: ["arn:aws:rds:eu-west-1:222222222222:cluster:staging"],
  "detail-type": ClusterAvailable.detailType,
  detail: { operationId: "op-1" },
  "replay-name": "replay-1",
};

/**
 * For each field: mostly its valid value (so that whole envelopes are often accepted), or something a forged
 * or broken event could carry instead.
 */
const fieldValue = (key: keyof typeof valid) =>
  fc.oneof(
    { arbitrary: fc.constant(valid[key]), weight: 30 },
    fc.constant(undefined),
    fc.constant(null),
    fc.integer(),
    fc.string({ maxLength: 300 }),
    fc.array(fc.string({ maxLength: 40 }), { maxLength: 3 }),
    fc.constantFrom("2026-11-28T03:00:00.000Z", "2026-11-28", "not a date", "x".repeat(257)),
  );

const envelopes = fc.record(
  Object.fromEntries(Object.keys(valid).map((key) => [key, fieldValue(key as keyof typeof valid)])),
);

describe("the pipeline's EventBridge envelope schema", () => {
  it("has exactly the fields of Powertools' EventBridgeSchema", () => {
    expect(Object.keys(boundedEventBridgeSchema.shape)).toEqual(Object.keys(EventBridgeSchema.shape));
  });

  it("parses a real envelope as Powertools' schema does", () => {
    expect(boundedEventBridgeSchema.parse(valid)).toEqual(EventBridgeSchema.parse(valid));
  });

  it("accepts nothing Powertools' schema refuses", () => {
    let accepted = 0;
    fc.assert(
      fc.property(envelopes, (event) => {
        if (!boundedEventBridgeSchema.safeParse(event).success) return true;
        accepted++;
        return EventBridgeSchema.safeParse(event).success;
      }),
      { numRuns: 2_000 },
    );
    // Not vacuous: some generated envelopes were accepted and compared.
    expect(accepted).toBeGreaterThan(0);
  });

  it("refuses what Powertools' schema lets through: an id, account or region no event could carry", () => {
    for (const forged of [{ id: "x".repeat(300) }, { account: "abc" }, { region: "not a region!" }]) {
      const event = { ...valid, ...forged };
      expect(EventBridgeSchema.safeParse(event).success).toBe(true);
      expect(boundedEventBridgeSchema.safeParse(event).success).toBe(false);
    }
  });
});
