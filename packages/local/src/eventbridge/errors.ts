/**
 * The errors the local EventBridge raises, named and worded as the AWS API names and words them, so that
 * code written against the local bus handles the same `name`/`code` it will see from the SDK in AWS.
 */
export type EventBridgeErrorCode =
  | "InvalidEventPatternException"
  | "ValidationException"
  | "ResourceNotFoundException"
  | "ResourceAlreadyExistsException"
  | "LimitExceededException"
  | "IllegalStatusException";

export class EventBridgeError extends Error {
  /** Matches the SDK's exception class name, so `error.name === "ValidationException"` works in both worlds. */
  override readonly name: EventBridgeErrorCode;
  readonly code: EventBridgeErrorCode;
  /** Errors of the API itself are caller mistakes: retrying the same call gives the same answer. */
  readonly retryable = false;
  constructor(code: EventBridgeErrorCode, message: string) {
    super(message);
    this.name = code;
    this.code = code;
  }
}

/** AWS prefixes every pattern problem with the same sentence; `reason` is the part that varies. */
export class InvalidEventPatternError extends EventBridgeError {
  readonly reason: string;
  constructor(reason: string) {
    super("InvalidEventPatternException", `Event pattern is not valid. Reason: ${reason}`);
    this.reason = reason;
  }
}

/**
 * An event the matcher refuses to evaluate: nested deeper than the bus accepts, or (for rare shapes with
 * dot-joined keys) needing more array-consistency search than MAX_AMBIGUOUS_MATCH_STEPS. PutEvents reports
 * it on the entry; it is never retried.
 */
export class EventTooComplexError extends EventBridgeError {
  constructor(reason: string) {
    super("ValidationException", `Event is not valid. Reason: ${reason}`);
  }
}

export function isEventBridgeError(error: unknown, code?: EventBridgeErrorCode): error is EventBridgeError {
  return error instanceof EventBridgeError && (code === undefined || error.code === code);
}

/** The one-line form the AWS CLI prints, e.g. for `aws events test-event-pattern`. */
export function formatAwsCliError(error: EventBridgeError, operation: string): string {
  return `An error occurred (${error.code}) when calling the ${operation} operation: ${error.message}`;
}
