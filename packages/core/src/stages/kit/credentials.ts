import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { isAwsCallError } from "../../ports/errors";
import { type SecretsPort, type SecretValue, secretStages } from "../../ports/secrets";

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
 * The version id (ClientRequestToken) of the credentials an operation stages in a secret: derived from the
 * operation and the secret, so a resumed or duplicated configure finds the version it already wrote.
 */
export function credentialVersionId(operationId: string, secretName: string): string {
  const hex = createHash("sha256").update(`aurora-restore\n${operationId}\n${secretName}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * configure: stores new credentials before anything uses them (a crash never loses a password), under the
 * operation's version id. A secret that does not exist yet is created (nothing reads it before this
 * refresh's cutover). An existing one gets them as AWSPENDING, as Secrets Manager rotation stages a new
 * password: the target's applications keep reading AWSCURRENT, which still works on the target, until
 * cutover promotes them.
 * Exactly once per operation and secret: when the version already exists (a resumed or duplicated
 * configure), its credentials are reused and no second password is made; two writers racing are settled by
 * Secrets Manager (the same version id with another value is refused) and the loser reads the winner's.
 * Returns where the value went and the value, which the caller uses and never logs.
 */
export async function stageCredentials(
  secrets: SecretsPort,
  input: {
    name: string;
    versionId: string;
    description: string;
    make: () => CredentialSecret;
    kmsKeyId?: string;
  },
): Promise<{ arn: string; versionId: string; stage: Stage; value: CredentialSecret; reused: boolean }> {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const existing = await findVersionById(secrets, input.name, input.versionId);
    if (existing) return { ...existing, reused: true };
    const value = input.make();
    const secretString = JSON.stringify(value);
    try {
      const created = await secrets.createSecret({
        name: input.name,
        secretString,
        description: input.description,
        clientRequestToken: input.versionId,
        ...(input.kmsKeyId ? { kmsKeyId: input.kmsKeyId } : {}),
      });
      return {
        arn: created.arn,
        versionId: created.versionId,
        stage: secretStages.current,
        value,
        reused: false,
      };
    } catch (error) {
      if (!isAwsCallError(error, "ResourceExistsException")) throw error;
    }
    try {
      const put = await secrets.putSecretValue({
        secretId: input.name,
        secretString,
        versionStages: [secretStages.pending],
        clientRequestToken: input.versionId,
      });
      return { arn: put.arn, versionId: put.versionId, stage: secretStages.pending, value, reused: false };
    } catch (error) {
      // Another delivery wrote this version first (with its own password): read and use that one.
      if (!isAwsCallError(error, "ResourceExistsException")) throw error;
    }
  }
  throw new Error(
    `Secret ${input.name}: version ${input.versionId} was reported to exist but could not be read; check the secret's versions.`,
  );
}

/** The credentials of version `versionId` and the stage they were staged under, or undefined. */
async function findVersionById(
  secrets: SecretsPort,
  secretId: string,
  versionId: string,
): Promise<{ arn: string; versionId: string; stage: Stage; value: CredentialSecret } | undefined> {
  let found: SecretValue;
  try {
    found = await secrets.getSecretValue({ secretId, versionId });
  } catch (error) {
    if (isAwsCallError(error, "ResourceNotFoundException")) return undefined;
    throw error;
  }
  const value = parseCredentials(found, "version");
  const { versions } = await secrets.describeSecret(secretId);
  const stages = versions[versionId] ?? [];
  const stage = stages.includes(secretStages.pending) ? secretStages.pending : secretStages.current;
  return { arn: found.arn, versionId, stage, value };
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
  /** The promoted version's id (derived from the operation): a repeat cannot add a second version. */
  versionId?: string,
): Promise<{ arn: string; changed: boolean; promotedPending: boolean }> {
  const current = await readCurrent(secrets, secretId);
  const pending = await findVersion(secrets, secretId, secretStages.pending);
  const final: CredentialSecret = { ...(pending ?? current).value, host: endpoint.host, port: endpoint.port };
  const changed = !sameCredentials(current.value, final);
  if (changed) {
    await secrets.putSecretValue({
      secretId,
      secretString: JSON.stringify(final),
      ...(versionId ? { clientRequestToken: versionId } : {}),
    });
  }
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
  return { arn: found.arn, versionId: found.versionId, value: parseCredentials(found, stage) };
}

function parseCredentials(found: SecretValue, label: string): CredentialSecret {
  let parsed: Partial<CredentialSecret>;
  try {
    parsed = JSON.parse(found.secretString) as Partial<CredentialSecret>;
  } catch {
    throw new CredentialSecretFormatError(
      `Secret ${found.name} (${label}) is not JSON; expected {username, password, ...}.`,
    );
  }
  if (typeof parsed.username !== "string" || typeof parsed.password !== "string") {
    throw new CredentialSecretFormatError(
      `Secret ${found.name} (${label}) lacks a username or password; it must hold RDS-style credentials JSON.`,
    );
  }
  return parsed as CredentialSecret;
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
