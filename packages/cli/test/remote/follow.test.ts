import { describe, expect, it } from "vitest";
import { FollowStopped, followOperation, waitForAnswer } from "../../src/remote/follow";
import { operation } from "./support";

const silent = { line: () => undefined, stage: () => undefined, stop: () => undefined };
const fast = { initialMs: 5, maxMs: 20, factor: 2 };

describe("following a deployed operation", () => {
  it("Ctrl-C stops following at once and cancels nothing", async () => {
    const controller = new AbortController();
    let reads = 0;
    const store = {
      get: async () => {
        reads++;
        if (reads === 2) controller.abort();
        return operation("manual-1");
      },
    };
    await expect(
      followOperation(
        store,
        "manual-1",
        silent,
        { signal: controller.signal, timeoutMs: 60_000, backoff: fast },
        "",
      ),
    ).rejects.toBeInstanceOf(FollowStopped);
    expect(reads).toBe(2);
  });

  it("polls less and less often, and says where the operation stood when the time is up", async () => {
    const times: number[] = [];
    const store = {
      get: async () => {
        times.push(Date.now());
        return operation("manual-2");
      },
    };
    await expect(
      followOperation(store, "manual-2", silent, { timeoutMs: 150, backoff: fast }, "See it with: x"),
    ).rejects.toThrow(
      /stopped following manual-2 after 0 min: it is still at step copying; it goes on in AWS\. See it with: x/,
    );
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps[1]!).toBeGreaterThanOrEqual(gaps[0]!);
  });

  it("waits for the pipeline's answer in the trail, or says none came", async () => {
    let reads = 0;
    const audit = { listByOperation: async () => (++reads < 3 ? [] : [{ eventId: "ev-1" }]) as never };
    const found = await waitForAnswer(
      audit,
      "op",
      (trail) => (trail.length ? "answered" : undefined),
      {
        timeoutMs: 5_000,
        backoff: fast,
      },
      "none",
    );
    expect(found).toBe("answered");
    await expect(
      waitForAnswer(
        { listByOperation: async () => [] },
        "op",
        () => undefined,
        { timeoutMs: 30, backoff: fast },
        "no answer",
      ),
    ).rejects.toThrow("no answer");
  });
});
