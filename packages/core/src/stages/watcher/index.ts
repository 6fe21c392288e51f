/** watcher: scheduled checks of what operations wait on, plus an early look on RDS resource events
 * (and, locally, on the local RDS's hints). */

export { failOverdueOperations } from "./overdue-operations";
export { reconcileSnapshots } from "./reconcile-snapshots";
export { type ScheduleOptions, scheduledOperationIdFor, startScheduledPlans } from "./scheduled-plans";
export { type ProbeResult, ResourceFailedError } from "./watch-probes";
export {
  type ChangedResource,
  checkWatches,
  onRdsEvent,
  onResourcesChanged,
  onSchedule,
  type WatcherOptions,
} from "./watcher";
