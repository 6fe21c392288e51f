import { describe, expect, it, vi } from "vitest";
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
    const timer = vi.spyOn(globalThis, "setTimeout");
    const store = { get: async () => operation("manual-2") };
    try {
      await expect(
        followOperation(
          store,
          "manual-2",
          silent,
          { timeoutMs: 300, backoff: { initialMs: 10, maxMs: 40, factor: 2 } },
          "See it with: x",
        ),
      ).rejects.toThrow(
        /stopped following manual-2 after 0 min: it is still at step copying; it goes on in AWS\. See it with: x/,
      );
      // The waits asked for: doubling from 10 ms up to 40 ms (the last one cut short by the deadline).
      const waits = timer.mock.calls.map((call) => call[1] as number);
      expect(waits.slice(0, 4)).toEqual([10, 20, 40, 40]);
    } finally {
      timer.mockRestore();
    }
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
