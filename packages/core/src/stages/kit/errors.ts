import { isAwsCallError } from "../../ports/errors";

/** The error code to report: the AWS error name, a PostgreSQL SQLSTATE, or the error's own name. */
export function errorCodeOf(error: unknown): string {
  if (isAwsCallError(error)) return error.code;
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string" && code.length > 0) return code;
  return error instanceof Error ? error.name : "UnknownError";
}

export function errorMessageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
