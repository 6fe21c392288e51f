/** notify: one summary per ended operation. */
export {
  notificationSummary,
  onRestoreCompleted,
  onRestoreFailed,
  type StageDuration,
  stageDurations,
} from "./notify";
