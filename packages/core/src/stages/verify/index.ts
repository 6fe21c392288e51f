/** verify: logs in as an application user and runs the plan's checks. */
export { onClusterConfigured, VerificationFailedError } from "./verify";
export { type CheckResult, runCheck } from "./verify-checks";
