import type { AccountRegion } from "@aurora-restore/core/ports/index";
import type { StoredKey } from "./key-store";
import { aliasArn, type KeyRef, kmsError, validateAccountId } from "./kms-names";

/** Accounts (besides the owner) allowed to use the key. */
export interface KeyPolicy {
  allowAccounts: string[];
}

export function ownedBy(key: StoredKey, location: AccountRegion): boolean {
  return key.accountId === location.accountId && key.region === location.region;
}

/** Finds the key a reference names from the caller's point of view: ARNs must be in the caller's region. */
export function findKey(
  keys: readonly StoredKey[],
  caller: AccountRegion,
  ref: KeyRef,
  text: string,
): StoredKey {
  const location = ref.location ?? caller;
  if (location.region !== caller.region) {
    throw kmsError(
      "NotFoundException",
      `Key '${text}' does not exist in ${caller.region}: KMS keys are regional, use a key created in ${caller.region}`,
    );
  }
  const key = keys.find(
    (k) =>
      ownedBy(k, location) && (ref.kind === "keyId" ? k.keyId === ref.keyId : k.aliases.includes(ref.alias)),
  );
  if (!key) {
    const hint =
      ref.location === undefined
        ? ` (a key id or alias name resolves in the caller's account ${caller.accountId}; use the full key ARN for another account's key)`
        : "";
    throw kmsError(
      "NotFoundException",
      `Key '${text}' does not exist in account ${location.accountId}, ${location.region}${hint}`,
    );
  }
  return key;
}

export function assertAllowed(key: StoredKey, caller: AccountRegion): void {
  if (key.accountId === caller.accountId) return;
  if (key.keyManager === "AWS") {
    throw kmsError(
      "AccessDeniedException",
      `KMS key ${key.arn} is an AWS managed key of account ${key.accountId}; account ${caller.accountId} cannot use it. ` +
        "Re-encrypt under a customer managed key whose policy allows that account",
    );
  }
  if (!key.allowAccounts.includes(caller.accountId)) {
    throw kmsError(
      "AccessDeniedException",
      `Account ${caller.accountId} is not allowed to use KMS key ${key.arn}: add ${caller.accountId} to the key policy ` +
        `(putKeyPolicy allowAccounts) in account ${key.accountId}`,
    );
  }
}

export function assertAliasFree(keys: readonly StoredKey[], location: AccountRegion, alias: string): void {
  const holder = keys.find((k) => ownedBy(k, location) && k.aliases.includes(alias));
  if (holder) {
    throw kmsError(
      "InvalidParameterException",
      `Alias ${aliasArn(location, alias)} already exists (key ${holder.arn}); choose another alias name`,
    );
  }
}

export function normalisePolicy(policy: KeyPolicy | undefined): string[] {
  const accounts = [...new Set(policy?.allowAccounts ?? [])];
  for (const account of accounts) validateAccountId(account, "Key policy account");
  return accounts.sort();
}
