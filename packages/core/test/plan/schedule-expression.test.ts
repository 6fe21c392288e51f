import { describe, expect, it } from "vitest";
import {
  latestFireTime,
  parseScheduleExpression,
  ScheduleExpressionError,
  scheduleExpressionProblem,
} from "../../src/plan/schedule-expression";
import { PlanValidationError, validatePlan } from "../../src/plan/validate";
import { planInput } from "../support/world";

const at = (iso: string) => new Date(iso);
const fire = (expression: string, now: string, after?: string) =>
  latestFireTime(parseScheduleExpression(expression), at(now), after ? at(after) : undefined)?.toISOString();

describe("rate expressions", () => {
  it("fire one period after the last run, and at once (in the current period) without one", () => {
    expect(fire("rate(12 hours)", "2026-03-14T14:59:00Z", "2026-03-14T03:00:00Z")).toBeUndefined();
    expect(fire("rate(12 hours)", "2026-03-14T15:01:00Z", "2026-03-14T03:00:00Z")).toBe(
      "2026-03-14T15:00:00.000Z",
    );
    expect(fire("rate(1 day)", "2026-03-14T15:01:00Z")).toBe("2026-03-14T00:00:00.000Z");
    expect(fire("rate(1 minute)", "2026-03-14T15:01:30Z", "2026-03-14T15:00:00Z")).toBe(
      "2026-03-14T15:01:00.000Z",
    );
  });

  it("refuse other units, zero and fractions, naming the accepted form", () => {
    for (const bad of ["rate(0 days)", "rate(1 week)", "rate(1.5 hours)", "rate(hours)", "rate()"]) {
      expect(scheduleExpressionProblem(bad)).toMatch(/use rate\(N minute\|minutes\|hour\|hours\|day\|days\)/);
    }
    expect(scheduleExpressionProblem("every day")).toMatch(/neither rate\(\.\.\.\) nor cron\(\.\.\.\)/);
  });
});

describe("cron expressions (6 fields, UTC)", () => {
  it("find the latest fire time after the last run", () => {
    const daily = "cron(0 3 * * ? *)";
    expect(fire(daily, "2026-03-14T04:00:00Z", "2026-03-13T03:00:05Z")).toBe("2026-03-14T03:00:00.000Z");
    expect(fire(daily, "2026-03-14T04:00:00Z", "2026-03-14T03:00:05Z")).toBeUndefined();
    expect(fire(daily, "2026-03-14T02:59:59Z", "2026-03-13T03:00:05Z")).toBeUndefined();
    // A watcher down for days starts one run, for the latest fire time.
    expect(fire(daily, "2026-03-20T12:00:00Z", "2026-03-13T03:00:05Z")).toBe("2026-03-20T03:00:00.000Z");
  });

  it("supports lists, ranges, steps, names and ? in either day field", () => {
    // 2026-03-14 is a Saturday: the weekday schedule last fired on Friday the 13th at 17:30.
    expect(fire("cron(0,30 9-17 ? * MON-FRI *)", "2026-03-14T12:00:00Z", "2026-03-01T00:00:00Z")).toBe(
      "2026-03-13T17:30:00.000Z",
    );
    expect(fire("cron(*/15 * * * ? *)", "2026-03-14T12:44:00Z", "2026-03-14T12:00:00Z")).toBe(
      "2026-03-14T12:30:00.000Z",
    );
    expect(fire("cron(0 6 1,15 JAN-JUN ? 2026)", "2026-03-14T12:00:00Z", "2026-01-01T00:00:00Z")).toBe(
      "2026-03-01T06:00:00.000Z",
    );
    expect(fire("cron(0 6 1,15 * ? 2025)", "2026-03-14T12:00:00Z", "2026-01-01T00:00:00Z")).toBeUndefined();
    // Day-of-week 1 is Sunday, as EventBridge numbers it.
    expect(fire("cron(0 8 ? * 1 *)", "2026-03-14T12:00:00Z", "2026-03-01T12:00:00Z")).toBe(
      "2026-03-08T08:00:00.000Z",
    );
  });

  it("refuses what EventBridge refuses and what is not supported, naming the field", () => {
    expect(scheduleExpressionProblem("cron(0 3 * * *)")).toMatch(
      /has 5 field\(s\); EventBridge cron takes 6/,
    );
    expect(scheduleExpressionProblem("cron(0 3 * * * *)")).toMatch(/put \? in exactly one of day-of-month/);
    expect(scheduleExpressionProblem("cron(0 3 ? * ? *)")).toMatch(/put \? in exactly one/);
    expect(scheduleExpressionProblem("cron(60 3 * * ? *)")).toMatch(/minutes field "60": 60 is outside 0-59/);
    expect(scheduleExpressionProblem("cron(0 3 L * ? *)")).toMatch(
      /day-of-month field "L": L, W and # are not supported/,
    );
    expect(scheduleExpressionProblem("cron(0 3 ? * 2#1 *)")).toMatch(/day-of-week field "2#1"/);
    expect(scheduleExpressionProblem("cron(0 ? * * ? *)")).toMatch(/hours field "\?": \? is only allowed/);
    expect(scheduleExpressionProblem("cron(0 17-9 * * ? *)")).toMatch(/the range 17-9 runs backwards/);
    expect(() => parseScheduleExpression("cron(x 3 * * ? *)")).toThrow(ScheduleExpressionError);
  });
});

describe("plan schema", () => {
  it("accepts a valid schedule and names trigger.expression with the fix for a bad one", () => {
    const valid = validatePlan(
      planInput({ plan: { trigger: { type: "schedule", expression: "cron(0 3 * * ? *)" } } }),
    );
    expect(valid.trigger).toEqual({ type: "schedule", expression: "cron(0 3 * * ? *)" });
    const error = (() => {
      try {
        validatePlan(planInput({ plan: { trigger: { type: "schedule", expression: "cron(0 3 * * *)" } } }));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PlanValidationError);
    expect((error as PlanValidationError).issues).toEqual([
      { path: "trigger.expression", message: expect.stringContaining("EventBridge cron takes 6") },
    ]);
  });
});
