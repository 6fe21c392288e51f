/**
 * One folder per stage (`stages/<stage>/`): its logic, its `contracts.ts` (the events whose work it
 * reports) and an `index.ts` exporting its entry points; the moves several stages share live in `kit/`.
 *
 * Entry points are named after what arrives: `on<DetailType>` for a domain event (`onSnapshotAvailable`,
 * one per detail-type even when two share their logic), `onRdsEvent` for an RDS event from the default bus,
 * `onSchedule` for the watcher's tick. Entry points that are not reactions (the CLI's and the local
 * runtime's) are verbs: `parseManualRequest`, `resumeWorkOfDeadProcess`, `startScheduledPlans`.
 *
 * The package root exports only the shared kit: stage entry points share names (`onRestoreCompleted`,
 * `onRdsEvent`), so they are imported per stage, `@aurora-restore/core/stages/<stage>`.
 */
export * from "./kit/advance";
export * from "./kit/audit";
export * from "./kit/deps";
export * from "./kit/errors";
export * from "./kit/fail";
export * from "./kit/handoff";
export * from "./kit/lease";
export * from "./kit/metrics";
export * from "./kit/publish";
