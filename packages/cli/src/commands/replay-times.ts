import { escapeControl, UsageError } from "../io";

/**
 * The time window of `replay`: `--from` and `--to` as ISO 8601 (a date, or a date and time with a zone) or
 * relative to now (`-2h`, `-1d12h`, `now`). Replays select events by their own time in [from, to).
 */

const UNIT_MS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
const RELATIVE = /^-(?:\d{1,6}[wdhms])+$/;
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

const DAY_MS = UNIT_MS.d;

export const timeFormats =
  "ISO 8601 (2025-03-14, 2025-03-14T09:30:00Z, ...+02:00) or relative (-2h, -1d12h, now)";

/** One time option's value as a Date; a UsageError (exit 2) that names the option otherwise. */
export function parseReplayTime(text: string, option: string, now: Date): Date {
  const bad = (why: string) => new UsageError(`--${option} '${escapeControl(text)}': ${why}`);
  const value = text.trim();
  if (value === "now") return new Date(now);
  if (RELATIVE.test(value)) {
    let ms = 0;
    for (const [, amount, unit] of value.matchAll(/(\d+)([wdhms])/g)) {
      ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
    }
    return new Date(now.getTime() - ms);
  }
  const match = ISO.exec(value);
  if (!match) throw bad(`not a time; use ${timeFormats}`);
  const [, year, month, day, hour, , , zone] = match;
  if (hour !== undefined && zone === undefined) {
    throw bad("give its time zone: Z for UTC, or an offset such as +02:00 (event times are UTC)");
  }
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  // Date.parse rolls 2025-02-30 over to March 2: refuse a day the month does not have instead.
  if (date.getUTCMonth() !== Number(month) - 1 || date.getUTCDate() !== Number(day)) {
    throw bad("no such date");
  }
  const parsed = Date.parse(
    hour === undefined ? `${year}-${month}-${day}T00:00:00Z` : value.replace(" ", "T"),
  );
  if (Number.isNaN(parsed)) throw bad(`not a time; use ${timeFormats}`);
  return new Date(parsed);
}

export interface ReplayWindowChoice {
  from: Date;
  to: Date;
  /** Set when the window starts before the archives' retention: the older events are gone. */
  warning?: string;
}

/**
 * The window to replay, checked: it must be non-empty, and not lie wholly before what the archives still
 * keep (`retentionDays`, 0 keeping everything).
 */
export function replayWindow(
  input: { from: string | undefined; to: string | undefined },
  now: Date,
  retentionDays: number,
): ReplayWindowChoice {
  if (input.from === undefined) throw new UsageError(`--from is required (${timeFormats})`);
  const from = parseReplayTime(input.from, "from", now);
  const to = input.to === undefined ? new Date(now) : parseReplayTime(input.to, "to", now);
  if (from.getTime() >= to.getTime()) {
    throw new UsageError(
      `--from (${from.toISOString()}) must be before --to (${to.toISOString()}${input.to === undefined ? ", now" : ""})`,
    );
  }
  if (retentionDays <= 0) return { from, to };
  const oldest = new Date(now.getTime() - retentionDays * DAY_MS);
  if (to.getTime() <= oldest.getTime()) {
    throw new UsageError(
      `the window ends at ${to.toISOString()}, before the oldest event the archives keep (${oldest.toISOString()}: they keep ${retentionDays} days); nothing older can be replayed`,
    );
  }
  if (from.getTime() < oldest.getTime()) {
    return {
      from,
      to,
      warning: `The archives keep ${retentionDays} days: events before ${oldest.toISOString()} are no longer there to replay.`,
    };
  }
  return { from, to };
}
