import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { rdsError } from "./errors";

const scramIterations = 4096;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (`SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>`).
 * PostgreSQL stores a pre-computed verifier as is, so the plaintext never reaches a file or the server, and a
 * pending password change can be persisted without keeping the password itself.
 */
export function scramVerifier(password: string): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(Buffer.from(password, "utf8"), salt, scramIterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${scramIterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/**
 * RDS's rule for MasterUserPassword: 8 to 128 printable ASCII characters other than '/', '"', '@' and space.
 * (Printable ASCII also needs no SASLprep, so the verifier above matches what clients compute.)
 */
export function validateMasterPassword(password: string): void {
  if (
    password.length < 8 ||
    password.length > 128 ||
    !/^[\x21-\x7e]+$/.test(password) ||
    /[/"@]/.test(password)
  ) {
    throw rdsError(
      "InvalidParameterValueException",
      "The master password must be 8 to 128 printable ASCII characters and may not contain '/', '\"', '@' or spaces",
    );
  }
}

/** RDS's rule for MasterUsername: 1 to 63 letters, digits or underscores, starting with a letter. */
export function validateMasterUsername(username: string): void {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(username)) {
    throw rdsError(
      "InvalidParameterValueException",
      `MasterUsername '${username}' is invalid: use 1 to 63 letters, digits or underscores, starting with a letter`,
    );
  }
}
