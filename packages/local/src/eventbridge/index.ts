/** Public API of the local EventBridge (see each module for the semantics it reproduces). */
export type { ArchiveDefinition, ArchivedEvent } from "./archive-store";
export type { CreateArchiveInput, ReplayDescription, ReplayState, StartReplayInput } from "./archives";
export {
  type CompilePatternOptions,
  compilePattern,
  MAX_OR_COMBINATIONS,
  validatePattern,
} from "./compile-pattern";
export type { DeadLetterMessage } from "./dead-letter-queue";
export type { RedriveResult } from "./dead-letter-redrive";
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
  EventTooComplexError,
  formatAwsCliError,
  InvalidEventPatternError,
  isEventBridgeError,
} from "./errors";
export { EventBus, type PutRuleInput, type RuleDescription, type RuleState } from "./event-bus";
/** The bounds on input (event depth, pattern length and depth, matching work, dead-letter texts). */
export {
  jsonTextDepth,
  jsonValueDepth,
  MAX_AMBIGUOUS_MATCH_STEPS,
  MAX_DEAD_LETTER_ERROR_CODE_LENGTH,
  MAX_DEAD_LETTER_ERROR_MESSAGE_LENGTH,
  MAX_DETAIL_DEPTH,
  MAX_EVENT_DEPTH,
  MAX_EVENT_PATTERN_DEPTH,
  MAX_EVENT_PATTERN_LENGTH,
} from "./limits";
export { LocalEventBridge, type LocalEventBridgeOptions, type Sender } from "./local-event-bridge";
export { type MatchStats, matchesPattern } from "./matcher";
export type { CompiledPattern } from "./pattern-types";
export {
  DEFAULT_MAX_REQUEST_SIZE_BYTES,
  LEGACY_MAX_REQUEST_SIZE_BYTES,
  MAX_DETAIL_TYPE_LENGTH,
  MAX_ENTRIES_PER_REQUEST,
  type PutEventsOptions,
  type PutEventsRequestEntry,
  type PutEventsResponse,
  type PutEventsResultEntry,
  putEventsEntrySize,
  RESERVED_SOURCE_PREFIX,
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
