/**
 * Delivery under failures that can never succeed, and stopping: a non-retryable error (the handlers'
 * NonRetryableEventError, a stack overflow) is dead-lettered after exactly one attempt; dead letters stay
 * small whatever the error; stop() never waits for a retry's backoff, and persists what it did not
 * deliver in the dead-letter queue.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { NonRetryableEventError } from "@aurora-restore/functions/runtime/errors";
import { describe, expect, it } from "vitest";
import type { EventBridgeEvent } from "../../src/eventbridge/envelope";
import { MAX_DEAD_LETTER_ERROR_MESSAGE_LENGTH } from "../../src/eventbridge/limits";
import { isRetriable } from "../../src/eventbridge/retry";
import { createVirtualRuntime, type EventBridgeRuntime, systemRuntime } from "../../src/eventbridge/runtime";
import { entry, newEventBridge, recorder, TransientError } from "./helpers";

/** A target that fails with whatever `fail` throws, counting its invocations. */
function failing(fail: () => never, id = "failing") {
  const calls: EventBridgeEvent[] = [];
  return {
    id,
    calls,
    invoke: async (event: EventBridgeEvent) => {
      calls.push(event);
      fail();
    },
  };
}

/** Recursion with no end: a real "Maximum call stack size exceeded" RangeError. */
function overflow(depth: number): number {
  return overflow(depth + 1) + 1;
}

describe("errors that cannot succeed are dead-lettered after exactly one attempt", () => {
  const cases: [string, () => never][] = [
    [
      "NonRetryableEventError (a handler's refusal)",
      () => {
        throw new NonRetryableEventError(
          "trigger rejected aws.rds/RDS DB Cluster Event: not a valid RDS event",
        );
      },
    ],
    [
      "a stack overflow (RangeError)",
      () => {
        overflow(0);
        throw new Error("unreachable");
      },
    ],
    [
      "a stack overflow wrapped by the handler",
      () => {
        try {
          overflow(0);
        } catch (cause) {
          throw new Error("handler failed", { cause });
        }
        throw new Error("unreachable");
      },
    ],
  ];

  it.each(cases)("%s", async (_name, fail) => {
    const { eb, runtime } = newEventBridge();
    const target = failing(fail);
    eb.eventBus().putRule({ name: "r", eventPattern: { source: ["app.test"] }, targets: [target] });
    await eb.putEvents([entry()]);
    await eb.drain();
    expect(target.calls).toHaveLength(1);
    expect(runtime.sleeps.filter((ms) => ms > 0)).toEqual([]); // no backoff was ever waited for
    expect(eb.metrics).toMatchObject({ invocations: 1, retries: 0, sentToDeadLetterQueue: 1 });
    expect(eb.listDeadLetters()).toMatchObject([
      { attempts: 1, retryAttempts: 0, retriable: false, exhaustedRetryCondition: null },
    ]);
  });

  it("still retries a transient error (the control case)", async () => {
    const { eb } = newEventBridge();
    const target = failing(() => {
      throw new TransientError("slow down");
    });
    eb.eventBus().putRule({
      name: "r",
      eventPattern: { source: ["app.test"] },
      targets: [{ ...target, retryPolicy: { maximumRetryAttempts: 2 } }],
    });
    await eb.putEvents([entry()]);
    await eb.drain();
    expect(target.calls).toHaveLength(3);
    expect(isRetriable(new TypeError("fetch failed"))).toBe(true);
    expect(isRetriable(Object.assign(new RangeError("odd"), { retryable: true }))).toBe(true);
  });
});

describe("dead letters are bounded", () => {
  it("keep the event but cut a huge error message, and never store the stack", async () => {
    const { eb } = newEventBridge();
    const huge = `${"boom ".repeat(400_000)}end`; // 2 MB of message
    const target = failing(() => {
      throw new NonRetryableEventError(huge);
    });
    eb.eventBus().putRule({ name: "r", eventPattern: { source: ["app.test"] }, targets: [target] });
    const detail = { payload: "x".repeat(10_000) };
    await eb.putEvents([entry(detail)]);
    await eb.drain();
    const [message] = eb.listDeadLetters();
    expect(message?.event.detail).toEqual(detail);
    expect(message?.errorMessage.length).toBeLessThanOrEqual(MAX_DEAD_LETTER_ERROR_MESSAGE_LENGTH);
    expect(message?.errorMessage).toMatch(/^boom boom .*\.\.\. \(\d+ more characters\)$/);
    expect(JSON.stringify(message)).not.toContain("at overflow");
    const dir = eb.deadLetters.directory;
    const [file] = readdirSync(dir);
    // The event (10 KB) plus a few hundred bytes of attributes and at most 1 KB of message.
    expect(statSync(path.join(dir, file!)).size).toBeLessThan(10_000 + 3_000);
  });

  it("store a deeply nested event compactly (indenting made a 3,000-level event 9 MB)", async () => {
    const { eb } = newEventBridge();
    const target = failing(() => {
      throw new NonRetryableEventError("no");
    });
    eb.eventBus().putRule({ name: "r", eventPattern: { source: ["app.test"] }, targets: [target] });
    let detail: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 98; i++) detail = { a: detail };
    await eb.putEvents([entry(detail)]);
    await eb.drain();
    const dir = eb.deadLetters.directory;
    const [file] = readdirSync(dir);
    expect(statSync(path.join(dir, file!)).size).toBeLessThan(JSON.stringify(detail).length + 2_000);
    expect(JSON.parse(readFileSync(path.join(dir, file!), "utf8")).event.detail).toEqual(detail);
  });
});

/** A runtime whose sleeps end only when aborted: any wait on a backoff would hang the test. */
function sleepForeverRuntime(): EventBridgeRuntime & { sleeping: number } {
  const base = createVirtualRuntime({ start: "2025-06-01T12:00:00Z" });
  const runtime = {
    ...base,
    sleeping: 0,
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      if (ms <= 0) return base.sleep(0);
      runtime.sleeping++;
      return new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        signal?.addEventListener("abort", () => resolve(), { once: true });
      });
    },
  };
  return runtime;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !condition(); i++) await new Promise((r) => setImmediate(r));
  expect(condition()).toBe(true);
}

describe("stop()", () => {
  it("does not wait for a retry's backoff: the pending retry is dead-lettered, re-drivable after a restart", async () => {
    const runtime = sleepForeverRuntime();
    const { eb, stateDir } = newEventBridge({ runtime: runtime as never });
    const target = failing(() => {
      throw new TransientError("database restarting");
    });
    eb.eventBus().putRule({ name: "r", eventPattern: { source: ["app.test"] }, targets: [target] });
    const { Entries } = await eb.putEvents([entry({ n: 1 })]);
    await until(() => runtime.sleeping === 1); // first attempt failed; the retry waits (forever)
    await eb.stop();
    expect(target.calls).toHaveLength(1);
    expect(eb.pendingDeliveries).toBe(0);
    expect(eb.listDeadLetters()).toMatchObject([
      {
        event: { id: Entries[0]!.EventId },
        attempts: 1,
        errorCode: "ThrottlingException",
        errorMessage: "database restarting",
        retriable: true,
        exhaustedRetryCondition: null,
        interruptedBy: "stop",
      },
    ]);

    // Nothing was lost: after a restart the message is re-driven and delivered.
    const { eb: again } = newEventBridge({ stateDir });
    const healthy = recorder("failing");
    again.eventBus().putRule({ name: "r", eventPattern: { source: ["app.test"] }, targets: [healthy] });
    expect(again.redriveDeadLetters().redriven).toHaveLength(1);
    await again.drain();
    expect(healthy.received.map((e) => e.id)).toEqual([Entries[0]!.EventId]);
    expect(again.listDeadLetters()).toEqual([]);
  });

  it("lets a running invocation finish, and dead-letters (without attempting) what was not started", async () => {
    const runtime = sleepForeverRuntime();
    const { eb: slowStart } = newEventBridge({ runtime: runtime as never, chaos: { maxDelayMs: 60_000 } });
    // A delivery held by a chaos delay has not been attempted: stop dead-letters it with 0 attempts.
    const never = recorder("never");
    slowStart.eventBus().putRule({ name: "r", eventPattern: { source: ["app.test"] }, targets: [never] });
    await slowStart.putEvents([entry({ n: 1 })]);
    await until(() => runtime.sleeping === 1);
    await slowStart.stop();
    expect(never.received).toEqual([]);
    expect(slowStart.listDeadLetters()).toMatchObject([
      { attempts: 0, retryAttempts: 0, errorCode: "LocalEventBridgeStopped", interruptedBy: "stop" },
    ]);

    // A handler already running when stop() is called completes normally.
    const { eb } = newEventBridge();
    let release: () => void = () => undefined;
    const received: number[] = [];
    eb.eventBus().putRule({
      name: "slow",
      eventPattern: { source: ["app.test"] },
      targets: [
        {
          id: "slow",
          invoke: async (event) => {
            await new Promise<void>((resolve) => {
              release = resolve;
            });
            received.push(event.detail.n as number);
          },
        },
      ],
    });
    await eb.putEvents([entry({ n: 2 })]);
    await until(() => eb.metrics.invocations === 1);
    const stopping = eb.stop();
    release();
    await stopping;
    expect(received).toEqual([2]);
    expect(eb.listDeadLetters()).toEqual([]);

    // After stop, new events are persisted for later instead of being delivered.
    await eb.putEvents([entry({ n: 3 })]);
    await eb.drain();
    expect(received).toEqual([2]);
    expect(eb.listDeadLetters()).toMatchObject([{ interruptedBy: "stop", attempts: 0 }]);
  });

  it("cancels running replays", async () => {
    const { eb, runtime } = newEventBridge();
    const bus = eb.createEventBus("pipeline");
    eb.createArchive({ archiveName: "a", eventSourceArn: bus.arn });
    for (const n of [1, 2, 3]) {
      await bus.putEvents([entry({ n })]);
      runtime.advance(60_000);
    }
    await eb.drain();
    eb.startReplay({
      replayName: "r",
      eventSourceArn: eb.describeArchive("a")!.archiveArn,
      eventStartTime: new Date("2025-06-01T11:00:00Z"),
      eventEndTime: new Date("2025-06-01T13:00:00Z"),
      destination: { arn: bus.arn },
    });
    await eb.stop();
    expect(eb.describeReplay("r")).toMatchObject({
      state: "CANCELLED",
      stateReason: "The local EventBridge stopped.",
    });
  });

  it("clears the backoff timer of the system clock, so a stopped bus keeps no process alive", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    const controller = new AbortController();
    const sleeping = systemRuntime().sleep(5 * 60_000, controller.signal);
    expect(timers()).toBe(before + 1);
    const started = performance.now();
    controller.abort();
    await sleeping;
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(timers()).toBe(before);
    await systemRuntime().sleep(60_000, controller.signal); // already aborted: returns at once
  });
});
