/**
 * When the watcher looks at a pending watch: each watch has its own schedule (`nextCheckAt`), not one global
 * tick. The first check comes soon after the watch is added (a copy of a small snapshot finishes in seconds),
 * then the gap doubles while the resource stays busy, up to `maxDelayMs`.
 *
 * `maxDelayMs` is half the deployed `rate(1 minute)` schedule, so every scheduled run still finds a
 * long-pending watch due (a check at 12:00:00.3 is due again before 12:01:00). In AWS the scheduled run is
 * the only run without an RDS event, so there a watch is checked at every tick as before, and earlier only
 * when RDS announces its resource (RDS has no event for a finished copy). Locally the runtime also wakes
 * the watcher for a resource whose status changed (runtime/watcher-wakeups.ts), and the faster ticks check
 * only the watches that are due.
 */
export const watchCheckBackoff = { firstDelayMs: 1_000, maxDelayMs: 30_000 } as const;

/** The first check of a watch added at `createdAt`. */
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

/** True when a scheduled run should check the watch (a watch written before schedules existed is always due). */
export function isCheckDue(watch: { nextCheckAt?: string | undefined }, now: Date): boolean {
  return !watch.nextCheckAt || Date.parse(watch.nextCheckAt) <= now.getTime();
}
