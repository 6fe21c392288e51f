import type { AuditEntryInfo } from "@aurora-restore/core/storage/audit";
import type { StageTiming } from "@aurora-restore/local/runtime/operation-progress";

/** A part of a stage's time: working (its handler ran), or waiting for AWS (a copy, a cluster...). */
export interface Segment {
  kind: "work" | "wait";
  from: string;
  to: string;
  /** What was waited for (the watcher's entry that ended the wait), when known. */
  label?: string;
}

/**
 * A stage's time told apart where the audit trail knows it: a stage's entry with outcome `started` began
 * something AWS finishes on its own (a snapshot copy, a restore, instances), so the stage waits from there
 * until the watcher publishes that it is done (a watcher entry naming what it published); a `waitedMs`
 * detail (configure waiting for the new password to log in) is a wait ending at its entry. The rest is
 * work. A stage still running ends at `now`.
 */
export function stageSegments(timing: StageTiming, trail: readonly AuditEntryInfo[], now: string): Segment[] {
  const start = timing.startedAt;
  const end = timing.endedAt ?? now;
  const inside = trail
    .filter((e) => e.at >= start && e.at <= end)
    .filter((e) => e.stage === timing.name || e.stage === "watcher")
    .sort((a, b) => a.at.localeCompare(b.at));
  const marks: { at: string; kind: Segment["kind"]; label?: string }[] = [{ at: start, kind: "work" }];
  for (const entry of inside) {
    const waited = Number(entry.details?.waitedMs);
    if (entry.stage === timing.name && entry.outcome === "started") {
      marks.push({ at: entry.at, kind: "wait", label: entry.action });
    } else if (entry.stage === "watcher" && typeof entry.details?.published === "string") {
      if (marks[marks.length - 1]?.kind === "wait") marks.push({ at: entry.at, kind: "work" });
    } else if (entry.stage === timing.name && Number.isFinite(waited) && waited > 0) {
      const from = new Date(Math.max(Date.parse(entry.at) - waited, Date.parse(start))).toISOString();
      marks.push({ at: from, kind: "wait", label: entry.action }, { at: entry.at, kind: "work" });
    }
  }
  marks.sort((a, b) => a.at.localeCompare(b.at));
  const segments: Segment[] = [];
  marks.forEach((mark, i) => {
    const to = marks[i + 1]?.at ?? end;
    if (to <= mark.at) return;
    const last = segments[segments.length - 1];
    if (last && last.kind === mark.kind && last.to === mark.at) {
      last.to = to;
      return;
    }
    segments.push({ kind: mark.kind, from: mark.at, to, ...(mark.label ? { label: mark.label } : {}) });
  });
  // A stage with no measurable time (trigger, notify) still shows, as an instant of work.
  if (segments.length === 0) segments.push({ kind: "work", from: start, to: [start, end].sort()[1]! });
  return segments;
}
