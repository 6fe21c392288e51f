import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { isAwsCallError } from "../ports/errors";
import { type SecretsPort, secretStages } from "../ports/secrets";

/** The JSON an RDS-managed credentials secret holds, so the usual tools and rotation lambdas read ours too. */
export interface CredentialSecret {
  username: string;
  password: string;
  host: string;
  port: number;
  dbname: string;
  engine: "postgres";
}

type Stage = (typeof secretStages)[keyof typeof secretStages];

/**
 * configure: stores new credentials before anything uses them (a crash never loses a password). A secret
 * that does not exist yet is created (nothing reads it before this refresh's cutover). An existing one gets
 * them as AWSPENDING, as Secrets Manager rotation stages a new password: the target's applications keep
 * reading AWSCURRENT, which still works on the target, until cutover promotes them.
 * Returns where the value went; the value itself never leaves this function.
 */
export async function storeCredentials(
  secrets: SecretsPort,
  name: string,
  value: CredentialSecret,
  description: string,
): Promise<{ arn: string; versionId: string; stage: Stage }> {
  const secretString = JSON.stringify(value);
  try {
    const created = await secrets.createSecret({ name, secretString, description });
    return { arn: created.arn, versionId: created.versionId, stage: secretStages.current };
  } catch (error) {
    if (!isAwsCallError(error, "ResourceExistsException")) throw error;
    const put = await secrets.putSecretValue({
      secretId: name,
      secretString,
      versionStages: [secretStages.pending],
    });
    return { arn: put.arn, versionId: put.versionId, stage: secretStages.pending };
  }
}

export class CredentialSecretFormatError extends Error {
  override name = "CredentialSecretFormatError";
  readonly code = "InvalidCredentialSecret";
}

interface CredentialVersion {
  arn: string;
  versionId: string;
  value: CredentialSecret;
}

/** verify: the credentials this refresh staged (AWSPENDING), else AWSCURRENT (a secret configure created). */
export async function readStagedCredentials(
  secrets: SecretsPort,
  secretId: string,
): Promise<CredentialSecret> {
  const pending = await findVersion(secrets, secretId, secretStages.pending);
  return (pending ?? (await readCurrent(secrets, secretId))).value;
}

/**
 * cutover, once the restored cluster carries the target's name: the staged credentials (AWSPENDING, else
 * AWSCURRENT when configure created the secret) pointed at the target's endpoint become AWSCURRENT (the
 * value applications used until now stays as AWSPREVIOUS), then the AWSPENDING label goes. Repeatable: a
 * retry after a crash between the two finds AWSCURRENT already final and only removes the label.
 */
export async function promoteCredentials(
  secrets: SecretsPort,
  secretId: string,
  endpoint: { host: string; port: number },
): Promise<{ arn: string; changed: boolean; promotedPending: boolean }> {
  const current = await readCurrent(secrets, secretId);
  const pending = await findVersion(secrets, secretId, secretStages.pending);
  const final: CredentialSecret = { ...(pending ?? current).value, host: endpoint.host, port: endpoint.port };
  const changed = !sameCredentials(current.value, final);
  if (changed) await secrets.putSecretValue({ secretId, secretString: JSON.stringify(final) });
  if (pending) {
    await secrets.updateSecretVersionStage({
      secretId,
      versionStage: secretStages.pending,
      removeFromVersionId: pending.versionId,
    });
  }
  return { arn: current.arn, changed, promotedPending: pending !== undefined };
}

/**
 * cleanup of a failed operation: removes the AWSPENDING label so the next refresh starts clean (AWSCURRENT,
 * what the target uses, was never touched). Reads no value (DescribeSecret). Returns the version id the
 * label was on, so the audit trail can name it, or undefined when there is nothing to discard.
 */
export async function discardPendingCredentials(
  secrets: SecretsPort,
  secretId: string,
): Promise<string | undefined> {
  let versions: Record<string, string[]>;
  try {
    versions = (await secrets.describeSecret(secretId)).versions;
  } catch (error) {
    if (isAwsCallError(error, "ResourceNotFoundException")) return undefined;
    throw error;
  }
  const versionId = Object.entries(versions).find(([, stages]) => stages.includes(secretStages.pending))?.[0];
  if (versionId === undefined) return undefined;
  await secrets.updateSecretVersionStage({
    secretId,
    versionStage: secretStages.pending,
    removeFromVersionId: versionId,
  });
  return versionId;
}

function sameCredentials(a: CredentialSecret, b: CredentialSecret): boolean {
  return (
    a.username === b.username &&
    a.password === b.password &&
    a.host === b.host &&
    a.port === b.port &&
    a.dbname === b.dbname
  );
}

function readCurrent(secrets: SecretsPort, secretId: string): Promise<CredentialVersion> {
  return readVersion(secrets, secretId, secretStages.current);
}

/** The version holding `stage`, or undefined when no version holds it. */
async function findVersion(
  secrets: SecretsPort,
  secretId: string,
  stage: Stage,
): Promise<CredentialVersion | undefined> {
  try {
    return await readVersion(secrets, secretId, stage);
  } catch (error) {
    if (isAwsCallError(error, "ResourceNotFoundException")) return undefined;
    throw error;
  }
}

async function readVersion(secrets: SecretsPort, secretId: string, stage: Stage): Promise<CredentialVersion> {
  const found = await secrets.getSecretValue({ secretId, versionStage: stage });
  let parsed: Partial<CredentialSecret>;
  try {
    parsed = JSON.parse(found.secretString) as Partial<CredentialSecret>;
  } catch {
    throw new CredentialSecretFormatError(
      `Secret ${found.name} (${stage}) is not JSON; expected {username, password, ...}.`,
    );
  }
  if (typeof parsed.username !== "string" || typeof parsed.password !== "string") {
    throw new CredentialSecretFormatError(
      `Secret ${found.name} (${stage}) lacks a username or password; it must hold RDS-style credentials JSON.`,
    );
  }
  return { arn: found.arn, versionId: found.versionId, value: parsed as CredentialSecret };
}

const scramIterations = 4096;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password. Sending the verifier instead of the password
 * in CREATE/ALTER ROLE keeps the password out of the server's statement log (log_statement=ddl) and
 * pg_stat_statements; PostgreSQL stores a pre-hashed verifier as is. Passwords are ASCII (generated), so
 * SASLprep leaves them unchanged.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(Buffer.from(password, "utf8"), salt, scramIterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${scramIterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
