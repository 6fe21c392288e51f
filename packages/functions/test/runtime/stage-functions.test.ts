import { describe, expect, test } from "vitest";
import { stage as cleanup } from "../../src/cleanup/stage";
import { stage as notify } from "../../src/notify/stage";
import { allAwsPorts } from "../../src/runtime/aws-ports/all";
import { awsNotificationsPort } from "../../src/runtime/aws-ports/notifications";
import { awsRdsPort } from "../../src/runtime/aws-ports/rds";
import { stageHandler } from "../../src/runtime/stage-handler";
import { stage as trigger } from "../../src/trigger/stage";
import { stage as watcher } from "../../src/watcher/stage";

// The handler is built from the stage's declaration: one function per subscription, no more, no fewer.
// The @ts-expect-error lines are checked by `npm run typecheck`: each fails the build if it compiles.
const done = async () => {};
const aws = { awsPorts: allAwsPorts };

describe("stageHandler's functions follow the declaration", () => {
  test("a subscribed contract without a function is a type error, and refused at run time", () => {
    // @ts-expect-error RestoreFailed is subscribed and has no function
    expect(() => stageHandler(cleanup, { RestoreCompleted: done }, aws)).toThrow(
      /no function handles RestoreFailed/,
    );
  });

  test("a function for an event the stage does not subscribe to is a type error", () => {
    const build = () =>
      stageHandler(
        cleanup,
        {
          RestoreCompleted: done,
          RestoreFailed: done,
          KeptResourcesExpired: done,
          // @ts-expect-error cleanup does not subscribe to CopyCompleted
          CopyCompleted: done,
        },
        aws,
      );
    expect(build).not.toThrow();
  });

  test("RDS events and schedules need a function exactly when declared", () => {
    // @ts-expect-error trigger subscribes to RDS events on the default bus
    expect(() => stageHandler(trigger, { ManualRestoreRequested: done, RetryRequested: done }, aws)).toThrow(
      /no onRdsEvent/,
    );
    // @ts-expect-error watcher has a schedule
    expect(() => stageHandler(watcher, { onRdsEvent: done }, aws)).toThrow(/no onSchedule/);
    const extra = () =>
      stageHandler(
        cleanup,
        {
          RestoreCompleted: done,
          RestoreFailed: done,
          KeptResourcesExpired: done,
          // @ts-expect-error cleanup takes no RDS events
          onRdsEvent: done,
        },
        aws,
      );
    expect(extra).not.toThrow();
  });

  test("a complete set of functions builds the handler", () => {
    expect(stageHandler(watcher, { onSchedule: done, onRdsEvent: done }, aws).stage).toBe("watcher");
  });
});

describe("stageHandler's AWS adapters follow the declaration's ports", () => {
  const functions = { RestoreCompleted: done, RestoreFailed: done };

  test("a stage that declares ports must give their adapters", () => {
    // @ts-expect-error notify declares the notifications port: its handler gives the adapter
    stageHandler(notify, functions);
    // @ts-expect-error the notifications adapter is missing
    stageHandler(notify, functions, { awsPorts: {} });
    expect(stageHandler(notify, functions, { awsPorts: { notifications: awsNotificationsPort } }).stage).toBe(
      "notify",
    );
  });

  test("an adapter for a port the stage does not declare is a type error (it would be bundled for nothing)", () => {
    stageHandler(notify, functions, {
      // @ts-expect-error notify does not declare the rds port
      awsPorts: { notifications: awsNotificationsPort, rds: awsRdsPort },
    });
  });
});
