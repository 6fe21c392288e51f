/**
 * Errors raised by every port implementation, local or AWS, so that services cannot tell them apart.
 * `code` is the AWS error name, normalised to the SDK's exception class name (RDS sometimes drops the
 * `Fault` suffix on the wire: `DBInstanceNotFound` becomes `DBInstanceNotFoundFault`).
 */
export const rdsErrorCodes = [
  "DBClusterNotFoundFault",
  "DBClusterAlreadyExistsFault",
  "DBClusterSnapshotNotFoundFault",
  "DBClusterSnapshotAlreadyExistsFault",
  "InvalidDBClusterSnapshotStateFault",
  "InvalidDBClusterStateFault",
  "DBInstanceNotFoundFault",
  "DBInstanceAlreadyExistsFault",
  "InvalidDBInstanceStateFault",
  "KMSKeyNotAccessibleFault",
  "SharedSnapshotQuotaExceededFault",
  "SnapshotQuotaExceededFault",
  "DBClusterQuotaExceededFault",
  "InstanceQuotaExceededFault",
  "StorageQuotaExceededFault",
  "InvalidParameterValueException",
  "InvalidParameterCombinationException",
] as const;

export const kmsErrorCodes = [
  "NotFoundException",
  "AccessDeniedException",
  "DisabledException",
  "InvalidCiphertextException",
  "IncorrectKeyException",
] as const;

export const secretsErrorCodes = [
  "ResourceNotFoundException",
  "ResourceExistsException",
  "InvalidRequestException",
  "InvalidParameterException",
  "DecryptionFailure",
] as const;

export const snsErrorCodes = [
  "NotFoundException",
  "AuthorizationErrorException",
  "InvalidParameterException",
] as const;

export const genericErrorCodes = [
  "ThrottlingException",
  "AccessDenied",
  "ServiceUnavailable",
  "UnknownError",
] as const;

export type AwsErrorCode =
  | (typeof rdsErrorCodes)[number]
  | (typeof kmsErrorCodes)[number]
  | (typeof secretsErrorCodes)[number]
  | (typeof snsErrorCodes)[number]
  | (typeof genericErrorCodes)[number];

const retryableCodes: ReadonlySet<string> = new Set(["ThrottlingException", "ServiceUnavailable"]);

/** The one error type a port throws for a failed AWS (or AWS-like) call. */
export class AwsCallError extends Error {
  override name = "AwsCallError";
  readonly retryable: boolean;
  constructor(
    readonly code: AwsErrorCode,
    message: string,
    readonly service: "rds" | "kms" | "secretsmanager" | "sns" | "sts" | "events",
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.retryable = retryableCodes.has(code);
  }
}

export function isAwsCallError(error: unknown, code?: AwsErrorCode): error is AwsCallError {
  return error instanceof AwsCallError && (code === undefined || error.code === code);
}
