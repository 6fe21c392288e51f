/** The pipeline's CloudWatch metrics, named once: the stages emit them, the stacks chart and alarm on them. */
export const METRICS_NAMESPACE = "AuroraRestore";

export const pipelineMetrics = {
  // Operations (the dashboard's and the alarms' metrics).
  started: "OperationsStarted",
  succeeded: "OperationsSucceeded",
  failed: "OperationsFailed",
  /** Failed by the watcher past the plan's deadline (dimension `stage`). */
  overdue: "OperationsOverdue",
  /** Per stage (dimension `stage`), in milliseconds. */
  stageDuration: "StageDuration",

  // Deliveries and requests.
  duplicateDeliveries: "DuplicateDeliveries",
  duplicateRequests: "DuplicateRequests",
  requestsRefused: "RequestsRefused",

  // The outbox: handoffs the watcher publishes again.
  handoffsRepublished: "HandoffsRepublished",
  handoffRepublishErrors: "HandoffRepublishErrors",

  // The stages' own work.
  snapshotsPrepared: "SnapshotsPrepared",
  snapshotCopiesStarted: "SnapshotCopiesStarted",
  clustersRestoreStarted: "ClustersRestoreStarted",
  /** Milliseconds until the new master password was accepted. */
  masterPasswordWait: "MasterPasswordWait",
  applicationUsersConfigured: "ApplicationUsersConfigured",
  checksFailed: "ChecksFailed",
  notificationsSent: "NotificationsSent",

  // The watcher.
  watchesCompleted: "WatchesCompleted",
  watchesFailed: "WatchesFailed",
  watchErrors: "WatchErrors",
  /** Milliseconds a completed watch waited. */
  watchWait: "WatchWait",
  snapshotsReconciled: "SnapshotsReconciled",
  reconcileErrors: "ReconcileErrors",
  scheduledRunsStarted: "ScheduledRunsStarted",
  scheduledRunsSkipped: "ScheduledRunsSkipped",
  scheduleErrors: "ScheduleErrors",
} as const;
