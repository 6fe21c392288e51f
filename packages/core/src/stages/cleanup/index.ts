/** cleanup: intermediate snapshots, a replaced cluster left behind, staged credentials, the target lock. */
export { onRestoreCompleted, onRestoreFailed } from "./cleanup";
export { onKeptResourcesExpired } from "./expired-resources";
