import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
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

const verifierPattern = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

/** Whether `text` is a SCRAM-SHA-256 verifier (what `CREATE ROLE ... PASSWORD` stores as is). */
export function isScramVerifier(text: string): boolean {
  return verifierPattern.test(text);
}

/**
 * Whether `password` logs in against `verifier`, as PostgreSQL decides it: the client proof a client derives
 * from the password matches the verifier's StoredKey only if the salted password is the same.
 */
export function scramMatches(verifier: string, password: string): boolean {
  const match = verifierPattern.exec(verifier);
  if (!match) return false;
  const [, iterations, salt, storedKey] = match as unknown as [string, string, string, string];
  const salted = pbkdf2Sync(
    Buffer.from(password, "utf8"),
    Buffer.from(salt, "base64"),
    Number(iterations),
    32,
    "sha256",
  );
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const computed = createHash("sha256").update(clientKey).digest();
  const expected = Buffer.from(storedKey, "base64");
  return computed.length === expected.length && timingSafeEqual(computed, expected);
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
