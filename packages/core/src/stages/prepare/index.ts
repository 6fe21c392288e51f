/** prepare: makes the source snapshot usable by the target account (shareable copy, share). */
export { onRestoreRequested, onSourceSnapshotCopied, SnapshotNotShareableError } from "./prepare";
