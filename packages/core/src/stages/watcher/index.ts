/** watcher: scheduled checks of what operations wait on, plus an early look on RDS resource events. */

export { failOverdueOperations } from "./overdue-operations";
export { reconcileSnapshots } from "./reconcile-snapshots";
export { type ScheduleOptions, scheduledOperationIdFor, startScheduledPlans } from "./scheduled-plans";
export { type ProbeResult, ResourceFailedError } from "./watch-probes";
export { checkWatches, onRdsEvent, onSchedule, type WatcherOptions } from "./watcher";
