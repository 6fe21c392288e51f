/** copy: brings the snapshot into the target account and region under the target's key. */
export { hopSnapshotName, INTERMEDIATE_KMS_KEY, onSnapshotAvailable } from "./copy";
