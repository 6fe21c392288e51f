import { AwsCallError, type AwsErrorCode, isAwsCallError } from "@aurora-restore/core/ports/index";

export function rdsError(code: AwsErrorCode, message: string, cause?: unknown): AwsCallError {
  return new AwsCallError(code, message, "rds", cause === undefined ? undefined : { cause });
}

/**
 * RDS reports a KMS refusal (unknown key, key in another region, key policy that excludes the caller, disabled
 * key) as KMSKeyNotAccessibleFault; the KMS message, which names the key and the fix, is kept.
 */
export function kmsToRdsError(error: unknown, what: string): unknown {
  if (isAwsCallError(error) && error.service === "kms") {
    const detail = error.message.replace(/^[A-Za-z]+: /, "");
    return rdsError("KMSKeyNotAccessibleFault", `${what}: ${detail}`, error);
  }
  return error;
}

/** Runs a KMS call and converts its refusal into the RDS error a real RDS call would return. */
export async function withKms<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw kmsToRdsError(error, what);
  }
}
