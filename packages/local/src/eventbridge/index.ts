/** Public API of the local EventBridge (see each module for the semantics it reproduces). */
export type { ArchiveDefinition, ArchivedEvent } from "./archive-store";
export type { CreateArchiveInput, ReplayDescription, ReplayState, StartReplayInput } from "./archives";
export { compilePattern, MAX_OR_COMBINATIONS, validatePattern } from "./compile-pattern";
export type { DeadLetterMessage } from "./dead-letter-queue";
export type {
  BusTarget,
  ChaosOptions,
  DeliveryContext,
  DeliveryMetrics,
  FunctionTarget,
  RuleTarget,
} from "./delivery";
export {
  archiveArn,
  busArn,
  DEFAULT_ACCOUNT,
  DEFAULT_BUS_NAME,
  DEFAULT_REGION,
  type EventBridgeEvent,
  formatEventTime,
  parseEventsArn,
  ruleArn,
} from "./envelope";
export {
  EventBridgeError,
  type EventBridgeErrorCode,
  formatAwsCliError,
  InvalidEventPatternError,
  isEventBridgeError,
} from "./errors";
export { EventBus, type PutRuleInput, type RuleDescription, type RuleState } from "./event-bus";
export {
  LocalEventBridge,
  type LocalEventBridgeOptions,
  type RedriveResult,
  type Sender,
} from "./local-event-bridge";
export { matchesPattern } from "./matcher";
export type { CompiledPattern } from "./pattern-types";
export {
  DEFAULT_MAX_REQUEST_SIZE_BYTES,
  LEGACY_MAX_REQUEST_SIZE_BYTES,
  MAX_ENTRIES_PER_REQUEST,
  type PutEventsRequestEntry,
  type PutEventsResponse,
  type PutEventsResultEntry,
  putEventsEntrySize,
} from "./put-events";
export {
  DEFAULT_RETRY_POLICY,
  type ExhaustedRetryCondition,
  isRetriable,
  NON_RETRIABLE_ERROR_NAMES,
  type RetryPolicy,
} from "./retry";
export {
  createVirtualRuntime,
  type EventBridgeRuntime,
  seededRandom,
  systemRuntime,
  type VirtualRuntime,
} from "./runtime";
export { parseTestEvent, testEventPattern } from "./test-event-pattern";
