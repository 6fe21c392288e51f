import type { StageName } from "../events/shapes";

/** When a stage of an operation started and ended (ISO 8601), as every reader sees it. */
export interface StageTime {
  startedAt: string;
  endedAt?: string;
}

export type StageTimes = Partial<Record<StageName, StageTime>>;

/**
 * How the operation item stores them: `[startedAtMs, endedAtMs?]` per stage, about 30 bytes a stage where the
 * ISO map took 90, because every write of the operation is billed by the size of the whole item (about 14
 * writes follow the first stage's times). A time that does not survive the round trip (not a UTC ISO string
 * with milliseconds) keeps the map form, as do the items an earlier version wrote: both read alike.
 */
type StoredStageTime = [number] | [number, number] | StageTime;

function msOf(iso: string): number | undefined {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) && new Date(ms).toISOString() === iso ? ms : undefined;
}

export function storeStageTimes(times: StageTimes | undefined): Record<string, StoredStageTime> {
  const stored: Record<string, StoredStageTime> = {};
  for (const [stage, time] of Object.entries(times ?? {})) {
    if (!time) continue;
    const started = msOf(time.startedAt);
    const ended = time.endedAt === undefined ? undefined : msOf(time.endedAt);
    if (started === undefined || (time.endedAt !== undefined && ended === undefined)) stored[stage] = time;
    else stored[stage] = ended === undefined ? [started] : [started, ended];
  }
  return stored;
}

export function readStageTimes(stored: unknown): StageTimes {
  const times: Record<string, StageTime> = {};
  if (!stored || typeof stored !== "object") return times;
  for (const [stage, value] of Object.entries(stored as Record<string, unknown>)) {
    if (Array.isArray(value) && typeof value[0] === "number") {
      const [started, ended] = value as [number, number?];
      times[stage] = {
        startedAt: new Date(started).toISOString(),
        ...(typeof ended === "number" ? { endedAt: new Date(ended).toISOString() } : {}),
      };
    } else if (value && typeof value === "object" && typeof (value as StageTime).startedAt === "string") {
      const { startedAt, endedAt } = value as StageTime;
      times[stage] = { startedAt, ...(typeof endedAt === "string" ? { endedAt } : {}) };
    }
  }
  return times as StageTimes;
}
