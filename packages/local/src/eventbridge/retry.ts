/**
 * Retry policy and error classification for target invocations, after EventBridge's RetryPolicy
 * (MaximumRetryAttempts 0..185, MaximumEventAgeInSeconds 60..86400; defaults 185 and 24 hours).
 */
import { EventBridgeError } from "./errors";
import { MAX_DEAD_LETTER_ERROR_CODE_LENGTH, MAX_DEAD_LETTER_ERROR_MESSAGE_LENGTH } from "./limits";

export interface RetryPolicy {
  maximumRetryAttempts: number;
  maximumEventAgeInSeconds: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maximumRetryAttempts: 185,
  maximumEventAgeInSeconds: 86_400,
};

export type ExhaustedRetryCondition = "MaximumRetryAttempts" | "MaximumEventAgeInSeconds";

export function resolveRetryPolicy(policy: Partial<RetryPolicy> | undefined): RetryPolicy {
  const resolved = { ...DEFAULT_RETRY_POLICY, ...policy };
  const { maximumRetryAttempts: attempts, maximumEventAgeInSeconds: age } = resolved;
  if (!Number.isInteger(attempts) || attempts < 0 || attempts > 185) {
    throw new EventBridgeError(
      "ValidationException",
      "RetryPolicy.MaximumRetryAttempts must be between 0 and 185.",
    );
  }
  if (!Number.isInteger(age) || age < 60 || age > 86_400) {
    throw new EventBridgeError(
      "ValidationException",
      "RetryPolicy.MaximumEventAgeInSeconds must be between 60 and 86400.",
    );
  }
  return resolved;
}

/**
 * Error names that are never retried even without `retryable: false`: missing permissions, a missing
 * target resource, invalid input, an event the handler refused (functions' NonRetryableEventError, which
 * also sets `retryable: false`), and RangeError: a stack overflow ("Maximum call stack size exceeded"), an
 * invalid array or string length. Those come from the event itself, so the same event fails the same way
 * on every attempt (a 3,000-level event was retried 185 times over 9 minutes before this). EventBridge
 * retries only transient failures; these go straight to the dead-letter queue, after one attempt.
 */
export const NON_RETRIABLE_ERROR_NAMES: ReadonlySet<string> = new Set([
  "AccessDeniedException",
  "AccessDenied",
  "NotAuthorized",
  "ResourceNotFoundException",
  "NotFoundException",
  "ValidationException",
  "InvalidParameterException",
  "InvalidParameterValueException",
  "InvalidRequestException",
  "NonRetriableError",
  "NonRetryableEventError",
  "RangeError",
]);

/** Whether a failed invocation may be retried: `retryable` wins when present, then the error's name/code. */
export function isRetriable(error: unknown): boolean {
  if (typeof error === "object" && error !== null) {
    const retryable = safeGet(error, "retryable");
    const name = safeGet(error, "name");
    const code = safeGet(error, "code");
    if (retryable === false) return false;
    if (retryable === true) return true;
    if (typeof name === "string" && NON_RETRIABLE_ERROR_NAMES.has(name)) return false;
    if (typeof code === "string" && NON_RETRIABLE_ERROR_NAMES.has(code)) return false;
    // A stack overflow stays one when a handler wraps it (`new Error("...", { cause })`).
    let current: unknown = error;
    for (let level = 0; level < 5 && typeof current === "object" && current !== null; level++) {
      if (current instanceof RangeError) return false;
      current = safeGet(current, "cause");
    }
  }
  return true;
}

/** Cuts a text to `max` characters, saying how much was cut. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = `... (${text.length - max} more characters)`;
  return `${text.slice(0, Math.max(0, max - note.length))}${note}`;
}

/** Reads a property of a thrown value that may be a hostile object (throwing getters, proxies). */
function safeGet(error: unknown, key: string): unknown {
  try {
    return (error as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** The code recorded in the dead-letter message: the error's `code` when it has one, else its name. */
export function errorCodeOf(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const code = safeGet(error, "code");
    const name = safeGet(error, "name");
    if (typeof code === "string" && code) return truncateText(code, MAX_DEAD_LETTER_ERROR_CODE_LENGTH);
    if (typeof name === "string" && name) return truncateText(name, MAX_DEAD_LETTER_ERROR_CODE_LENGTH);
  }
  return "Error";
}

/** The error's message (never its stack), cut to MAX_DEAD_LETTER_ERROR_MESSAGE_LENGTH characters. */
export function errorMessageOf(error: unknown): string {
  let message: string;
  try {
    const own = error instanceof Error ? safeGet(error, "message") : undefined;
    message = typeof own === "string" ? own : String(error);
  } catch {
    message = "(the error could not be turned into text)";
  }
  return truncateText(message, MAX_DEAD_LETTER_ERROR_MESSAGE_LENGTH);
}

export interface BackoffOptions {
  /** Delay scale for the first retry. */
  baseDelayMs: number;
  /** Ceiling for a single wait, so that 185 retries spread over hours rather than years. */
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseDelayMs: 1_000, maxDelayMs: 5 * 60_000 };

/**
 * Exponential backoff with "equal jitter": half the exponential step is kept, the other half is random,
 * so retries of many failed deliveries spread out but each wait still grows. `retry` is 1 for the first retry.
 */
export function backoffDelayMs(
  retry: number,
  random: () => number,
  options: BackoffOptions = DEFAULT_BACKOFF,
): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(step / 2 + random() * (step / 2));
}
