import { isAwsCallError } from "../../ports/errors";

/**
 * The rule for the pipeline's errors: each class's `name` is its class name and ends in `Error` (logs, stack
 * traces); the code that goes on the wire (RestoreFailed.errorCode, the operation's error, a dead letter's
 * errorCode) is its own `code` field, chosen for readers of those records and kept stable.
 *
 * The error code to report: the AWS error name, a PostgreSQL SQLSTATE, the error's `code`, else its name.
 */
export function errorCodeOf(error: unknown): string {
  if (isAwsCallError(error)) return error.code;
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string" && code.length > 0) return code;
  return error instanceof Error ? error.name : "UnknownError";
}

export function errorMessageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
