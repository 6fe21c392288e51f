import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { isAwsCallError } from "../ports/errors";
import type { SecretsPort } from "../ports/secrets";

/** The JSON an RDS-managed credentials secret holds, so the usual tools and rotation lambdas read ours too. */
export interface CredentialSecret {
  username: string;
  password: string;
  host: string;
  port: number;
  dbname: string;
  engine: "postgres";
}

/**
 * Creates the secret, or puts a new version when it exists (the previous value stays as AWSPREVIOUS).
 * Returns the secret's ARN only; the value never leaves this function.
 */
export async function storeCredentials(
  secrets: SecretsPort,
  name: string,
  value: CredentialSecret,
  description: string,
): Promise<{ arn: string; created: boolean }> {
  const secretString = JSON.stringify(value);
  try {
    const created = await secrets.createSecret({ name, secretString, description });
    return { arn: created.arn, created: true };
  } catch (error) {
    if (!isAwsCallError(error, "ResourceExistsException")) throw error;
    const put = await secrets.putSecretValue({ secretId: name, secretString });
    return { arn: put.arn, created: false };
  }
}

export class CredentialSecretFormatError extends Error {
  override name = "CredentialSecretFormatError";
  readonly code = "InvalidCredentialSecret";
}

export async function readCredentials(secrets: SecretsPort, secretId: string): Promise<CredentialSecret> {
  return (await readCredentialsWithArn(secrets, secretId)).value;
}

async function readCredentialsWithArn(
  secrets: SecretsPort,
  secretId: string,
): Promise<{ arn: string; value: CredentialSecret }> {
  const { secretString, name, arn } = await secrets.getSecretValue({ secretId });
  let parsed: Partial<CredentialSecret>;
  try {
    parsed = JSON.parse(secretString) as Partial<CredentialSecret>;
  } catch {
    throw new CredentialSecretFormatError(`Secret ${name} is not JSON; expected {username, password, ...}.`);
  }
  if (typeof parsed.username !== "string" || typeof parsed.password !== "string") {
    throw new CredentialSecretFormatError(
      `Secret ${name} lacks a username or password; it must hold RDS-style credentials JSON.`,
    );
  }
  return { arn, value: parsed as CredentialSecret };
}

/** Points a credentials secret at a new endpoint, keeping user and password (a new version, AWSPREVIOUS kept). */
export async function repointCredentials(
  secrets: SecretsPort,
  secretId: string,
  endpoint: { host: string; port: number },
): Promise<{ arn: string; changed: boolean }> {
  const { arn, value: current } = await readCredentialsWithArn(secrets, secretId);
  if (current.host === endpoint.host && current.port === endpoint.port) return { arn, changed: false };
  await secrets.putSecretValue({
    secretId,
    secretString: JSON.stringify({ ...current, host: endpoint.host, port: endpoint.port }),
  });
  return { arn, changed: true };
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
