/**
 * An event the service can never process (unknown type, invalid detail). `retryable = false` tells the
 * local bus, and the Lambda error handling, to dead-letter it at once instead of retrying it.
 */
export class NonRetryableEventError extends Error {
  override name = "NonRetryableEventError";
  readonly retryable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Marks any error as not worth retrying (a refusal the same event would meet again). */
export function nonRetryable<E extends Error>(error: E): E & { retryable: false } {
  return Object.assign(error, { retryable: false as const });
}
