/**
 * A plan's `trigger: { type: "schedule", expression }`, in EventBridge's syntax: `rate(N unit)` or the 6-field
 * `cron(minutes hours day-of-month month day-of-week year)`, always in UTC. Parsed once into fire times the
 * watcher can ask about; anything EventBridge would refuse, or that this parser does not support (L, W, #), is
 * refused with a message naming the field and the fix.
 *
 * Why not aws-cron-parser (1.1.12, last release 2024-12): it assumes "validated by AWS already". Against
 * this module's tests it accepts cron(0 3 * * * *) and cron(0 3 ? * ? *) (? in neither or both day
 * fields), cron(0 ? * * ? *), cron(0 17-9 * * ? *) and cron(x 3 * * ? *) (silently empty or null fields),
 * accepts L and 2#1 (refused here today, so plans that fail now would validate), and throws a TypeError on a
 * 5-field cron. Its prev() agrees with latestFireTime on every valid case, but the validation, which is most
 * of this file, would stay, and it has no rate().
 */

export type ScheduleExpression =
  | { kind: "rate"; everyMs: number; text: string }
  | { kind: "cron"; fields: CronFields; text: string };

export interface CronFields {
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  /** undefined: `?` or `*` (any day). */
  daysOfMonth?: ReadonlySet<number>;
  months: ReadonlySet<number>;
  /** 1 = SUN ... 7 = SAT, as EventBridge numbers them; undefined: `?` or `*`. */
  daysOfWeek?: ReadonlySet<number>;
  years?: ReadonlySet<number>;
}

export class ScheduleExpressionError extends Error {
  override name = "ScheduleExpressionError";
}

const unitMs: Record<string, number> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

const monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Whether `?` is allowed (day-of-month, day-of-week). */
  question?: boolean;
}

const cronSpecs: FieldSpec[] = [
  { name: "minutes", min: 0, max: 59 },
  { name: "hours", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31, question: true },
  { name: "month", min: 1, max: 12, names: monthNames },
  { name: "day-of-week", min: 1, max: 7, names: dayNames, question: true },
  { name: "year", min: 1970, max: 2199 },
];

const cronExample = "e.g. cron(0 3 * * ? *) for 03:00 UTC every day";

/** Parses a schedule expression or throws ScheduleExpressionError with what is wrong and an example. */
export function parseScheduleExpression(text: string): ScheduleExpression {
  const rate = /^rate\((.*)\)$/.exec(text);
  if (rate) return parseRate(rate[1]!.trim(), text);
  const cron = /^cron\((.*)\)$/.exec(text);
  if (cron) return { kind: "cron", fields: parseCron(cron[1]!.trim()), text };
  throw new ScheduleExpressionError(
    `"${text}" is neither rate(...) nor cron(...): use e.g. rate(1 day) or ${cronExample.slice(5)}`,
  );
}

/** The problem with an expression, or undefined when it is valid (for the plan schema). */
export function scheduleExpressionProblem(text: string): string | undefined {
  try {
    parseScheduleExpression(text);
    return undefined;
  } catch (error) {
    if (error instanceof ScheduleExpressionError) return error.message;
    throw error;
  }
}

function parseRate(body: string, text: string): ScheduleExpression {
  const match = /^(\d+)\s+([a-z]+)$/.exec(body);
  const value = match ? Number(match[1]) : Number.NaN;
  const unit = match ? unitMs[match[2]!] : undefined;
  if (!match || !unit || !Number.isSafeInteger(value) || value < 1) {
    throw new ScheduleExpressionError(
      `"${text}" is not a rate: use rate(N minute|minutes|hour|hours|day|days) with N a whole number from 1, e.g. rate(12 hours)`,
    );
  }
  return { kind: "rate", everyMs: value * unit, text };
}

function parseCron(body: string): CronFields {
  const parts = body.split(/\s+/);
  if (parts.length !== 6) {
    throw new ScheduleExpressionError(
      `cron(${body}) has ${parts.length} field(s); EventBridge cron takes 6: minutes hours day-of-month month day-of-week year (${cronExample})`,
    );
  }
  const [minutes, hours, dom, month, dow, year] = parts.map((part, i) => parseField(part, cronSpecs[i]!));
  const anyDom = parts[2] === "?" || parts[2] === "*";
  const anyDow = parts[4] === "?" || parts[4] === "*";
  if ((parts[2] === "?") === (parts[4] === "?")) {
    throw new ScheduleExpressionError(
      `cron(${body}): put ? in exactly one of day-of-month and day-of-week (EventBridge cannot combine them), ${cronExample}`,
    );
  }
  return {
    minutes: minutes!,
    hours: hours!,
    ...(anyDom ? {} : { daysOfMonth: dom! }),
    months: month!,
    ...(anyDow ? {} : { daysOfWeek: dow! }),
    ...(parts[5] === "*" ? {} : { years: year! }),
  };
}

function parseField(text: string, spec: FieldSpec): Set<number> {
  const problem = (why: string) =>
    new ScheduleExpressionError(
      `cron ${spec.name} field "${text}": ${why} (supported: *, numbers ${spec.min}-${spec.max}${spec.names ? ` or ${spec.names[0]}-${spec.names.at(-1)}` : ""}, lists a,b, ranges a-b, steps */n or a-b/n${spec.question ? ", ?" : ""})`,
    );
  if (text === "?") {
    if (!spec.question) throw problem("? is only allowed in day-of-month and day-of-week");
    return range(spec.min, spec.max);
  }
  const values = new Set<number>();
  for (const item of text.split(",")) {
    if (item.includes("#") || /^(\d*L|\d+W|LW)$/i.test(item)) {
      throw problem("L, W and # are not supported by aurora-restore's schedules");
    }
    const [base = "", stepText] = item.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw problem(`"${stepText}" is not a step of 1 or more`);
    let from: number;
    let to: number;
    if (base === "*") {
      from = spec.min;
      to = spec.max;
    } else {
      const bounds = base.split("-");
      if (bounds.length > 2) throw problem(`"${base}" is not a value or a range`);
      from = fieldValue(bounds[0]!, spec, problem);
      to =
        bounds.length === 2
          ? fieldValue(bounds[1]!, spec, problem)
          : stepText === undefined
            ? from
            : spec.max;
      if (to < from) throw problem(`the range ${base} runs backwards`);
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

function fieldValue(text: string, spec: FieldSpec, problem: (why: string) => Error): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return named + spec.min;
  if (!/^\d+$/.test(text)) throw problem(`"${text}" is not a number`);
  const value = Number(text);
  if (value < spec.min || value > spec.max) throw problem(`${value} is outside ${spec.min}-${spec.max}`);
  return value;
}

function range(min: number, max: number): Set<number> {
  const values = new Set<number>();
  for (let v = min; v <= max; v++) values.add(v);
  return values;
}

const dayMs = 86_400_000;
/** How far back a cron search looks: a yearly schedule still finds last year's fire time. */
const cronSearchDays = 400;

/**
 * The latest time the schedule fired in (after, now], or undefined. A rate fires `everyMs` after `after` (a
 * rate has no fixed phase: it counts from the last run); with no `after` it is due at once.
 */
export function latestFireTime(schedule: ScheduleExpression, now: Date, after?: Date): Date | undefined {
  if (schedule.kind === "rate") {
    // No run yet: due now, in the current period counted from the epoch (the same slot for concurrent runs).
    if (!after) return new Date(Math.floor(now.getTime() / schedule.everyMs) * schedule.everyMs);
    const due = after.getTime() + schedule.everyMs;
    return due <= now.getTime() ? new Date(due) : undefined;
  }
  return latestCronTime(schedule.fields, now, after);
}

function latestCronTime(fields: CronFields, now: Date, after?: Date): Date | undefined {
  const nowMs = now.getTime();
  const floorMs = Math.max(after?.getTime() ?? Number.NEGATIVE_INFINITY, nowMs - cronSearchDays * dayMs);
  const hours = [...fields.hours].sort((a, b) => b - a);
  const minutes = [...fields.minutes].sort((a, b) => b - a);
  for (let day = Math.floor(nowMs / dayMs) * dayMs; day + dayMs > floorMs; day -= dayMs) {
    if (!dayMatches(fields, new Date(day))) continue;
    for (const hour of hours) {
      for (const minute of minutes) {
        const at = day + hour * 3_600_000 + minute * 60_000;
        if (at > nowMs) continue;
        return at > floorMs ? new Date(at) : undefined;
      }
    }
  }
  return undefined;
}

function dayMatches(fields: CronFields, day: Date): boolean {
  if (fields.years && !fields.years.has(day.getUTCFullYear())) return false;
  if (!fields.months.has(day.getUTCMonth() + 1)) return false;
  if (fields.daysOfMonth && !fields.daysOfMonth.has(day.getUTCDate())) return false;
  if (fields.daysOfWeek && !fields.daysOfWeek.has(day.getUTCDay() + 1)) return false;
  return true;
}
