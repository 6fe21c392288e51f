import type { AccountRegion } from "@aurora-restore/core/ports/index";
import { AwsCallError, type AwsErrorCode } from "@aurora-restore/core/ports/index";

export function kmsError(code: AwsErrorCode, message: string, cause?: unknown): AwsCallError {
  return new AwsCallError(code, message, "kms", cause === undefined ? undefined : { cause });
}

export function keyArn(location: AccountRegion, keyId: string): string {
  return `arn:aws:kms:${location.region}:${location.accountId}:key/${keyId}`;
}

export function aliasArn(location: AccountRegion, alias: string): string {
  return `arn:aws:kms:${location.region}:${location.accountId}:${alias}`;
}

/** What a key reference names: a key id or an alias, in a given account and region or in the caller's. */
export type KeyRef =
  | { kind: "keyId"; keyId: string; location?: AccountRegion }
  | { kind: "alias"; alias: string; location?: AccountRegion };

const arnPattern = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):(key\/[A-Za-z0-9-]+|alias\/[A-Za-z0-9/_-]+)$/;

/**
 * Parses a key id, key ARN, alias name (`alias/...`) or alias ARN. Only ARNs carry an account and region;
 * the other forms resolve in the caller's own account and region, as in AWS.
 */
export function parseKeyRef(ref: string): KeyRef {
  if (ref.startsWith("arn:")) {
    const match = arnPattern.exec(ref);
    if (!match) {
      throw kmsError(
        "NotFoundException",
        `Invalid KMS key ARN '${ref}': expected arn:aws:kms:<region>:<account>:key/<key-id> or ...:alias/<name>`,
      );
    }
    const [, region, accountId, resource] = match as unknown as [string, string, string, string];
    const location = { accountId, region };
    return resource.startsWith("key/")
      ? { kind: "keyId", keyId: resource.slice("key/".length), location }
      : { kind: "alias", alias: resource, location };
  }
  if (ref.startsWith("alias/")) return { kind: "alias", alias: ref };
  if (ref.trim() === "")
    throw kmsError("NotFoundException", "A KMS key reference is required (key id, ARN or alias)");
  return { kind: "keyId", keyId: ref };
}

const aliasNamePattern = /^alias\/[A-Za-z0-9/_-]{1,250}$/;

/** Alias names a caller may create: `alias/<name>`, not under the reserved `alias/aws/` prefix. */
export function validateCustomerAlias(alias: string): void {
  if (!aliasNamePattern.test(alias)) {
    throw kmsError(
      "InvalidParameterException",
      `Invalid alias '${alias}': use 'alias/' followed by letters, digits, '/', '_' or '-' (e.g. alias/staging-restore)`,
    );
  }
  if (alias.startsWith("alias/aws/")) {
    throw kmsError(
      "InvalidParameterException",
      `Alias '${alias}' is reserved for AWS managed keys: choose a name that does not start with alias/aws/`,
    );
  }
}

export function isAwsManagedAlias(alias: string): boolean {
  return /^alias\/aws\/[A-Za-z0-9_-]+$/.test(alias);
}

export function validateAccountId(accountId: string, what: string): void {
  if (!/^\d{12}$/.test(accountId)) {
    throw kmsError(
      "InvalidParameterException",
      `${what} '${accountId}' is not an AWS account id (12 digits)`,
    );
  }
}
