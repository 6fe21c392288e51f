import type { PendingWatch } from "../../storage/pending-watch";

/**
 * When the watcher looks at a pending watch: each watch has its own schedule, not one global tick. The first
 * check comes soon after the wait began (a copy of a small snapshot finishes in seconds), then the gap doubles
 * while the resource stays busy, up to `maxDelayMs`.
 *
 * `maxDelayMs` is half the deployed `rate(1 minute)` schedule, so every scheduled run still finds a
 * long-pending watch due (a check at 12:00:00.3 is due again before 12:01:00). In AWS the scheduled run is
 * the only run without an RDS event, so there a watch is checked at every tick as before, and earlier only
 * when RDS announces its resource (RDS has no event for a finished copy). Locally the runtime also wakes
 * the watcher for a resource whose status changed (runtime/watcher-wakeups.ts), and the faster ticks check
 * only the watches that are due.
 *
 * The schedule lives in the watcher process's memory (WatchChecks), never in the table: a check that finds
 * the resource busy writes nothing. A process that does not know a watch (a new Lambda instance) counts from
 * the watch's start; losing the count costs at most an early describe.
 */
export const watchCheckBackoff = { firstDelayMs: 1_000, maxDelayMs: 30_000 } as const;

/** The first check of a watch whose wait began at `createdAt`. */
export function firstCheckAt(createdAt: Date): string {
  return new Date(createdAt.getTime() + watchCheckBackoff.firstDelayMs).toISOString();
}

/** The next check after a check at `now` found the resource still busy, the watch's `checks`-th such check. */
export function nextCheckAfter(now: Date, checks: number): string {
  const delay = Math.min(
    watchCheckBackoff.firstDelayMs * 2 ** Math.max(0, checks),
    watchCheckBackoff.maxDelayMs,
  );
  return new Date(now.getTime() + delay).toISOString();
}

type Watched = Pick<PendingWatch, "watchId" | "createdAt">;

interface Scheduled {
  /** Checks that found the resource busy. */
  checks: number;
  nextCheckAt: string;
}

/**
 * One watcher process's schedule of the watches it has looked at, and the checks it is making right now (two
 * runs in one process, a tick and a wake-up, never check one watch at once: the second leaves it).
 */
export class WatchChecks {
  readonly #scheduled = new Map<string, Scheduled>();
  readonly #checking = new Set<string>();

  /** True when a scheduled run should check the watch now. */
  isDue(operationId: string, watch: Watched, now: Date): boolean {
    const next = this.#scheduled.get(keyOf(operationId, watch))?.nextCheckAt;
    return Date.parse(next ?? firstCheckAt(new Date(watch.createdAt))) <= now.getTime();
  }

  /** How many checks found it busy (in this process). */
  checksOf(operationId: string, watch: Watched): number {
    return this.#scheduled.get(keyOf(operationId, watch))?.checks ?? 0;
  }

  /** A check at `now` found the resource busy: the next one comes after twice the last gap. */
  busy(operationId: string, watch: Watched, now: Date): string {
    const key = keyOf(operationId, watch);
    const checks = this.#scheduled.get(key)?.checks ?? 0;
    const nextCheckAt = nextCheckAfter(now, checks);
    this.#scheduled.set(key, { checks: checks + 1, nextCheckAt });
    return nextCheckAt;
  }

  /** A check failed (throttled, say): the next one comes soon, not at the back-off's later time. */
  soon(operationId: string, watch: Watched, now: Date): void {
    const key = keyOf(operationId, watch);
    const soon = firstCheckAt(now);
    const scheduled = this.#scheduled.get(key);
    if (scheduled && scheduled.nextCheckAt <= soon) return;
    this.#scheduled.set(key, { checks: scheduled?.checks ?? 0, nextCheckAt: soon });
  }

  /** Marks the watch as being checked; false when another run of this process is checking it. */
  begin(operationId: string, watch: Watched): boolean {
    const key = keyOf(operationId, watch);
    if (this.#checking.has(key)) return false;
    this.#checking.add(key);
    return true;
  }

  end(operationId: string, watch: Watched): void {
    this.#checking.delete(keyOf(operationId, watch));
  }

  /** Forgets every watch but these (the pending ones a full listing found): the others ended. */
  keepOnly(pending: Iterable<{ operationId: string; watch: Watched }>): void {
    const keep = new Set([...pending].map((p) => keyOf(p.operationId, p.watch)));
    for (const key of this.#scheduled.keys()) if (!keep.has(key)) this.#scheduled.delete(key);
  }
}

/** A watch added again under the same id is another wait: its start time tells them apart. */
function keyOf(operationId: string, watch: Watched): string {
  return `${operationId}\n${watch.watchId}\n${watch.createdAt}`;
}

const schedules = new WeakMap<object, WatchChecks>();

/** This process's schedule for the watches of one state table (its store): kept as long as the store is. */
export function watchChecksOf(store: object): WatchChecks {
  let checks = schedules.get(store);
  if (!checks) {
    checks = new WatchChecks();
    schedules.set(store, checks);
  }
  return checks;
}
