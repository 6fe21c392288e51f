/** trigger: starts operations on RDS snapshot events and on manual requests. */
export {
  findPlannedTarget,
  findSourceSnapshotOfDate,
  type ManualRequest,
  ManualRequestError,
  ManualRequestRefusedError,
  parseManualRequest,
  type RequestIssue,
} from "./manual-request";
export { onRetryRequested, type RetryOutcome, RetryRefusedError, RetryTooEarlyError } from "./retry";
export { onManualRestoreRequested, onRdsEvent, TargetsBusyError } from "./trigger";
