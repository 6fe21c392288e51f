/** cutover: the verified cluster takes over the target's name, step by step. */
export { onClusterRenamed, onRestoreVerified } from "./cutover";
export { CutoverRolledBackError } from "./cutover-rollback";
