/** watcher: scheduled checks of what operations wait on, plus an early look on RDS resource events. */
export { type ScheduleOptions, scheduledOperationIdFor, startScheduledPlans } from "./scheduled-plans";
export { type ProbeResult, ResourceFailedError } from "./watch-probes";
export {
  checkWatches,
  failOverdueOperations,
  onRdsEvent,
  onSchedule,
  reconcileSnapshots,
  type WatcherOptions,
} from "./watcher";
