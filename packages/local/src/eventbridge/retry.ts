/**
 * Retry policy and error classification for target invocations, after EventBridge's RetryPolicy
 * (MaximumRetryAttempts 0..185, MaximumEventAgeInSeconds 60..86400; defaults 185 and 24 hours).
 */
import { EventBridgeError } from "./errors";

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
 * target resource, and invalid input. EventBridge retries only transient failures; these would fail the
 * same way on every attempt, so they go straight to the dead-letter queue.
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
]);

/** Whether a failed invocation may be retried: `retryable` wins when present, then the error's name/code. */
export function isRetriable(error: unknown): boolean {
  if (typeof error === "object" && error !== null) {
    const { retryable, name, code } = error as { retryable?: unknown; name?: unknown; code?: unknown };
    if (retryable === false) return false;
    if (retryable === true) return true;
    if (typeof name === "string" && NON_RETRIABLE_ERROR_NAMES.has(name)) return false;
    if (typeof code === "string" && NON_RETRIABLE_ERROR_NAMES.has(code)) return false;
  }
  return true;
}

/** The code recorded in the dead-letter message: the error's `code` when it has one, else its name. */
export function errorCodeOf(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === "string" && code) return code;
    if (typeof name === "string" && name) return name;
  }
  return "Error";
}

export function errorMessageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
