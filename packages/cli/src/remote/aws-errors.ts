import { escapeControl, UsageError } from "../io";
import { describeAddress, type StageAddress } from "./stage-address";

/** One AWS call as a message names it: the IAM action, and the resource it was made on. */
export interface AwsAction {
  /** IAM action, e.g. dynamodb:Query. */
  action: string;
  /** The resource by name (table, queue, bus...). */
  resource: string;
  /** A missing resource means the stage is not deployed there (tables, bus, archive, queues): default true. */
  missingMeansNoStage?: boolean;
}

const credentialsMissing = new Set(["CredentialsProviderError", "TokenProviderError"]);
const credentialsExpired = new Set(["ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired"]);
const credentialsRefused = new Set([
  "UnrecognizedClientException",
  "InvalidClientTokenId",
  "InvalidSignatureException",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
]);
const accessDenied = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "AuthorizationError",
  "AuthorizationErrorException",
  "UnauthorizedOperation",
]);
const notFound = new Set([
  "ResourceNotFoundException",
  "QueueDoesNotExist",
  "AWS.SimpleQueueService.NonExistentQueue",
]);
const throttled = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
]);
const unreachable = new Set([
  "ENOTFOUND",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "TimeoutError",
]);

/** The SDK's error under ElectroDB's wrapper (ElectroError keeps it as `cause`). */
function awsErrorOf(error: unknown): { name: string; message: string; code?: string } {
  let current = error as { name?: string; message?: string; code?: string; cause?: unknown } | undefined;
  while (current?.name === "ElectroError" && current.cause) current = current.cause as typeof current;
  return {
    name: String(current?.name ?? "Error"),
    message: String(current?.message ?? error),
    ...(current?.code ? { code: String(current.code) } : {}),
  };
}

/**
 * What went wrong with an AWS call, in words that name the fix: exit 1 (nothing is wrong with the command
 * line; the stage, the credentials or AWS said no). AWS's messages name principals and resources, never a
 * secret; they are escaped like every other text from outside.
 */
export function explainAwsError(error: unknown, address: StageAddress, call: AwsAction): Error {
  if (error instanceof UsageError) return error;
  const { name, message, code } = awsErrorOf(error);
  const said = escapeControl(message);
  const where = describeAddress(address);
  const profile = address.profile ? `the profile '${escapeControl(address.profile)}'` : undefined;
  if (credentialsMissing.has(name)) {
    const fix = profile
      ? `check ${profile} in ~/.aws/config (for SSO: aws sso login --profile ${escapeControl(address.profile!)})`
      : "pass --profile <name>, or set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
    return new UsageError(`no AWS credentials for ${call.action} (${said}): ${fix}`, 1);
  }
  if (credentialsExpired.has(name)) {
    return new UsageError(
      `the AWS credentials have expired (${name}): refresh them (aws sso login${address.profile ? ` --profile ${escapeControl(address.profile)}` : ""}) and run the command again`,
      1,
    );
  }
  if (credentialsRefused.has(name)) {
    return new UsageError(
      `AWS refused the credentials (${name}) for ${call.action}: check ${profile ?? "--profile / AWS_PROFILE"} and that they belong to the stage's account`,
      1,
    );
  }
  if (name === "KMSAccessDeniedException" || (accessDenied.has(name) && /\bkms:/i.test(message))) {
    return new UsageError(
      `access denied by KMS for ${call.action} on ${escapeControl(call.resource)} (${where}): the stage's tables are encrypted with its key; grant kms:Decrypt on alias/aurora-restore-${address.stage} (README, 'Operate in AWS'). AWS said: ${said}`,
      1,
    );
  }
  if (accessDenied.has(name)) {
    return new UsageError(
      `access denied: these credentials may not call ${call.action} on ${escapeControl(call.resource)} (${where}); grant ${call.action} (README, 'Operate in AWS', lists every action) or use --profile with a role that has it. AWS said: ${said}`,
      1,
    );
  }
  if (notFound.has(name) && call.missingMeansNoStage !== false) {
    return new UsageError(
      `no deployed stage '${address.stage}' in region ${address.region}: ${escapeControl(call.resource)} does not exist (check --stage and --region; deploy with 'npx sst deploy --stage ${address.stage}')`,
      1,
    );
  }
  if (throttled.has(name)) {
    return new UsageError(
      `AWS throttled ${call.action} on ${escapeControl(call.resource)} (${name}) through every retry with back-off: wait a minute and run it again`,
      1,
    );
  }
  if (unreachable.has(name) || (code && unreachable.has(code))) {
    return new UsageError(
      `cannot reach AWS in ${address.region} for ${call.action} (${code ?? name}): check the network and --region`,
      1,
    );
  }
  return new UsageError(`${call.action} on ${escapeControl(call.resource)} failed: ${name}: ${said}`, 1);
}

/** Runs one AWS call; its failure comes back explained (see explainAwsError). */
export async function awsCall<T>(address: StageAddress, call: AwsAction, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw explainAwsError(error, address, call);
  }
}
