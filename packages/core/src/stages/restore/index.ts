/** restore: restores the cluster under its temporary name, then creates its instances. */
export {
  onClusterCreated,
  onCopyCompleted,
  SnapshotOutsideTargetError,
  StaleNextClusterError,
} from "./restore";
