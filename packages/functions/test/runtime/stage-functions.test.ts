import { describe, expect, test } from "vitest";
import { stage as cleanup } from "../../src/cleanup/stage";
import { stageHandler } from "../../src/runtime/stage-handler";
import { stage as trigger } from "../../src/trigger/stage";
import { stage as watcher } from "../../src/watcher/stage";

// The handler is built from the stage's declaration: one function per subscription, no more, no fewer.
// The @ts-expect-error lines are checked by `npm run typecheck`: each fails the build if it compiles.
const done = async () => {};

describe("stageHandler's functions follow the declaration", () => {
  test("a subscribed contract without a function is a type error, and refused at run time", () => {
    // @ts-expect-error RestoreFailed is subscribed and has no function
    expect(() => stageHandler(cleanup, { RestoreCompleted: done })).toThrow(
      /no function handles RestoreFailed/,
    );
  });

  test("a function for an event the stage does not subscribe to is a type error", () => {
    const build = () =>
      stageHandler(cleanup, {
        RestoreCompleted: done,
        RestoreFailed: done,
        KeptResourcesExpired: done,
        // @ts-expect-error cleanup does not subscribe to CopyCompleted
        CopyCompleted: done,
      });
    expect(build).not.toThrow();
  });

  test("RDS events and schedules need a function exactly when declared", () => {
    // @ts-expect-error trigger subscribes to RDS events on the default bus
    expect(() => stageHandler(trigger, { ManualRestoreRequested: done, RetryRequested: done })).toThrow(
      /no onRdsEvent/,
    );
    // @ts-expect-error watcher has a schedule
    expect(() => stageHandler(watcher, { onRdsEvent: done })).toThrow(/no onSchedule/);
    const extra = () =>
      stageHandler(cleanup, {
        RestoreCompleted: done,
        RestoreFailed: done,
        KeptResourcesExpired: done,
        // @ts-expect-error cleanup takes no RDS events
        onRdsEvent: done,
      });
    expect(extra).not.toThrow();
  });

  test("a complete set of functions builds the handler", () => {
    expect(stageHandler(watcher, { onSchedule: done, onRdsEvent: done }).stage).toBe("watcher");
  });
});
