/**
 * Something an operation waits for that RDS may never announce (a snapshot copy, a restore, a rename). It is
 * an attribute of the operation item (`watch`), written in the same conditional write that ends the step's
 * work and removed in the same write that ends the wait; the watcher finds the operations that have one
 * through a sparse index (operation-entity.ts, `waiting`). An operation waits on one thing at a time.
 */
export const watchKinds = [
  "snapshot-copy",
  "cluster-available",
  "instances-available",
  "cluster-renamed",
  "cluster-deleted",
] as const;
export type WatchKind = (typeof watchKinds)[number];

/** The operation's `watch` attribute (ElectroDB map). */
export const pendingWatchAttribute = {
  type: "map",
  properties: {
    /** Unique within the operation, e.g. "target-copy". */
    watchId: { type: "string", required: true },
    kind: { type: watchKinds, required: true },
    accountId: { type: "string", required: true },
    region: { type: "string", required: true },
    roleArn: { type: "string" },
    /** Snapshot ARN/identifier or cluster identifier the watch describes. */
    resource: { type: "string", required: true },
    /** What the watcher does when it is ready (stages/kit/watches.ts, WatchContext). */
    context: { type: "any", required: true },
    /** When the wait began: the watcher's back-off schedule starts there (stages/kit/watch-schedule.ts). */
    createdAt: { type: "string", required: true },
  },
} as const;

/** A pending watch as the operation item holds it. */
export interface PendingWatch {
  watchId: string;
  kind: WatchKind;
  accountId: string;
  region: string;
  roleArn?: string;
  resource: string;
  context: Record<string, unknown>;
  createdAt: string;
}
