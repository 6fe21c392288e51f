import {
  type AccountRegion,
  AwsCallError,
  type AwsErrorCode,
  kmsErrorCodes,
  rdsErrorCodes,
  secretsErrorCodes,
  snsErrorCodes,
} from "@aurora-restore/core/ports/index";

export type AwsService = AwsCallError["service"];

/** What the adapter was doing, for a message that names the call and the resource but never a secret. */
export interface CallContext {
  service: AwsService;
  operation: string;
  location: AccountRegion;
  resource?: string;
  /** Values passed in the request that must never appear in a message (passwords, secret strings). */
  secrets?: (string | undefined)[];
}

const serviceCodes: Record<AwsService, readonly AwsErrorCode[]> = {
  rds: rdsErrorCodes,
  kms: kmsErrorCodes,
  secretsmanager: secretsErrorCodes,
  sns: snsErrorCodes,
  sts: [],
  events: [],
};

// Names the SDK uses for throttling (as @smithy/service-error-classification lists them), minus quota errors.
const throttlingNames = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "BandwidthLimitExceeded",
  "SlowDown",
  "PriorRequestNotComplete",
]);

const unavailableNames = new Set([
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalFailure",
  "InternalError",
  "InternalServerError",
  "InternalServiceError",
  "InternalServiceErrorException",
  "InternalErrorException",
  "InternalException",
  "KMSInternalException",
  "DependencyTimeoutException",
  "KeyUnavailableException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
]);

const accessDeniedNames = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "UnauthorizedOperation",
  "NotAuthorized",
  "AuthFailure",
  "UnrecognizedClientException",
  "InvalidClientTokenId",
  "ExpiredToken",
  "ExpiredTokenException",
  "SignatureDoesNotMatch",
]);

const hints: Partial<Record<AwsErrorCode, string>> = {
  ThrottlingException:
    "still throttled after the SDK's adaptive retries: lower the concurrency and retry later",
  AccessDenied: "check the IAM policy of the role used for this account and region",
  KMSKeyNotAccessibleFault:
    "the key policy must let this account use the key (kms:CreateGrant, Decrypt, ReEncrypt*, GenerateDataKey*, " +
    "DescribeKey) and the key must be enabled and in this region",
  SnapshotQuotaExceededFault:
    "delete intermediate manual snapshots (100 per region by default) or raise the quota",
  SharedSnapshotQuotaExceededFault: "a snapshot can be shared with at most 20 accounts",
  DBClusterQuotaExceededFault:
    "the account has reached its DB clusters quota in this region: delete unused clusters or request a higher quota (Service Quotas, Amazon RDS)",
  InstanceQuotaExceededFault:
    "the account has reached its DB instances quota in this region: delete unused instances or request a higher quota (Service Quotas, Amazon RDS)",
  StorageQuotaExceededFault:
    "the account has reached its total storage quota for DB instances in this region: delete unused clusters or request a higher quota (Service Quotas, Amazon RDS)",
};

/** The error's name as the SDK set it: the exception class name, or the wire code for unmodelled errors. */
function errorName(error: unknown): string {
  if (error && typeof error === "object") {
    const { name, code } = error as { name?: unknown; code?: unknown };
    if (typeof name === "string" && name !== "Error") return name;
    if (typeof code === "string") return code;
  }
  return "UnknownError";
}

function httpStatus(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata
    ?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

function isThrottling(error: unknown, name: string): boolean {
  const retryable = (error as { $retryable?: { throttling?: unknown } } | undefined)?.$retryable;
  return throttlingNames.has(name) || httpStatus(error) === 429 || retryable?.throttling === true;
}

/**
 * The port's code for an SDK error, matched on the exception name (never the message). RDS and SNS sometimes
 * send codes without the `Fault`/`Exception` suffix of the SDK's class (`DBInstanceNotFound`, `NotFound`).
 */
export function normaliseErrorCode(error: unknown, service: AwsService): AwsErrorCode {
  const name = errorName(error);
  const known = serviceCodes[service];
  for (const candidate of [name, `${name}Fault`, `${name}Exception`]) {
    const match = known.find((code) => code === candidate);
    if (match) return match;
  }
  if (isThrottling(error, name)) return "ThrottlingException";
  const status = httpStatus(error);
  if (unavailableNames.has(name) || (status !== undefined && status >= 500)) return "ServiceUnavailable";
  if (accessDeniedNames.has(name)) return "AccessDenied";
  return "UnknownError";
}

export function redact(text: string, secrets: (string | undefined)[] = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret) result = result.split(secret).join("[redacted]");
  }
  return result;
}

/** Converts anything an SDK call threw into the port's AwsCallError; an AwsCallError passes through. */
export function toAwsCallError(error: unknown, context: CallContext): AwsCallError {
  if (error instanceof AwsCallError) return error;
  const name = errorName(error);
  const code = normaliseErrorCode(error, context.service);
  const awsMessage = error instanceof Error && error.message ? error.message : "no message";
  const where = `${context.location.accountId}/${context.location.region}`;
  const parts = [
    `${context.operation}${context.resource ? ` ${context.resource}` : ""} failed in ${where}`,
    code === name ? awsMessage : `${name}: ${awsMessage}`,
  ];
  const hint = hints[code];
  if (hint) parts.push(hint);
  return new AwsCallError(code, redact(parts.join(": "), context.secrets), context.service, { cause: error });
}

/** Runs one SDK call, mapping its failure. */
export async function callAws<T>(context: CallContext, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw toAwsCallError(error, context);
  }
}
