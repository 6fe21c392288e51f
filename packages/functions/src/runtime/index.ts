export { type AwsStageDepsOptions, awsStageDeps, stageEnvironment } from "./aws-deps";
export { NonRetryableEventError, nonRetryable } from "./errors";
export { sanitizingLogger, withLogKeys } from "./logging";
export { generatePassword, PASSWORD_LENGTH } from "./passwords";
export { parsePlanList, staticPlanSource } from "./plans";
export { METRICS_NAMESPACE, powertoolsLogger, powertoolsMetrics } from "./powertools";
export {
  type ContractEvent,
  type ScheduledTick,
  type StageHandler,
  type StageHandlerOptions,
  stageHandler,
} from "./stage-handler";
