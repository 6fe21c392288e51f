import { describe, expect, it } from "vitest";
import { claimOf } from "../../src/stages/kit/claim";

describe("claimOf: which event claimed a step", () => {
  it("reads the claims, apart from the outputs", () => {
    const operation = { claims: { "new-moved-in": "evt-1" }, outputs: { nextClusterId: "x-next" } };
    expect(claimOf(operation, "new-moved-in")).toBe("evt-1");
    expect(claimOf(operation, "old-moved-away")).toBeUndefined();
  });

  it("still reads a claim an operation written before kept among its outputs", () => {
    const operation = { outputs: { "claimedBy:new-moved-in": "evt-0" } };
    expect(claimOf(operation, "new-moved-in")).toBe("evt-0");
    expect(claimOf({ outputs: {} }, "new-moved-in")).toBeUndefined();
  });
});
