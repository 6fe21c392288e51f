/** configure: new master password, application users, grants and post-restore SQL. */
export { type ConfigureOptions, onClusterAvailable, PostRestoreSqlError } from "./configure";
export {
  connectOnceAccepted,
  defaultLoginBackoff,
  type LoginBackoff,
  MasterPasswordNotAppliedError,
} from "./password-wait";
