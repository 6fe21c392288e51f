import { randomBytes, randomUUID } from "node:crypto";
import type { AccountRegion, KmsKeyInfo, KmsPort } from "@aurora-restore/core/ports/index";
import { aesKeyBytes } from "./aes-gcm";
import { blobKeyArn, openBlob, sealBlob } from "./ciphertext-blob";
import {
  assertAliasFree,
  assertAllowed,
  findKey,
  type KeyPolicy,
  normalisePolicy,
  ownedBy,
} from "./key-access";
import { KeyStore, type StoredKey } from "./key-store";
import {
  isAwsManagedAlias,
  keyArn,
  kmsError,
  parseKeyRef,
  validateAccountId,
  validateCustomerAlias,
} from "./kms-names";

export type { KeyPolicy } from "./key-access";

/** AWS's limit for Encrypt: larger data is encrypted locally under a data key (envelope encryption). */
const maxEncryptBytes = 4096;

const awsManagedDescriptions: Record<string, string> = {
  "alias/aws/rds": "Default key that protects my RDS database volumes when no other key is defined",
  "alias/aws/secretsmanager":
    "Default key that protects my Secrets Manager data when no other key is defined",
};

/**
 * KMS on this machine: regional keys per local account, key policies that decide which other accounts may
 * use a key, data keys and encrypt/decrypt/re-encrypt with authenticated blobs that name their key. Key
 * material lives only in `<stateDir>/kms/keys.json` (0600).
 */
export class LocalKms {
  readonly #store: KeyStore;
  readonly #now: () => Date;

  constructor(options: { stateDir: string; now?: () => Date }) {
    this.#store = new KeyStore(options.stateDir);
    this.#now = options.now ?? (() => new Date());
  }

  /** Path of the keys file (mode 0600); for diagnostics, never for reading material elsewhere. */
  get keysFile(): string {
    return this.#store.file;
  }

  async createKey(
    input: AccountRegion & { description?: string; alias?: string; policy?: KeyPolicy },
  ): Promise<KmsKeyInfo> {
    const location = { accountId: input.accountId, region: input.region };
    validateAccountId(location.accountId, "Key owner account");
    if (input.alias !== undefined) validateCustomerAlias(input.alias);
    const allowAccounts = normalisePolicy(input.policy);
    const created = await this.#store.update((keys) => {
      if (input.alias !== undefined) assertAliasFree(keys, location, input.alias);
      const key = newKey(location, "CUSTOMER", this.#now(), {
        aliases: input.alias === undefined ? [] : [input.alias],
        allowAccounts,
        description: input.description,
      });
      keys.push(key);
      return key;
    });
    return toInfo(created);
  }

  /** Replaces the key policy; only the owner account may, and AWS managed keys' policies are fixed. */
  async putKeyPolicy(keyRef: string, location: AccountRegion, policy: KeyPolicy): Promise<void> {
    const allowAccounts = normalisePolicy(policy);
    await this.#store.update((keys) => {
      const key = findKey(keys, location, parseKeyRef(keyRef), keyRef);
      if (key.accountId !== location.accountId) {
        throw kmsError(
          "AccessDeniedException",
          `Account ${location.accountId} cannot change the policy of KMS key ${key.arn}: only its owner ${key.accountId} can`,
        );
      }
      if (key.keyManager === "AWS") {
        throw kmsError(
          "AccessDeniedException",
          `KMS key ${key.arn} is an AWS managed key (${key.aliases.join(", ")}); its policy cannot be changed. ` +
            "Use a customer managed key to share with other accounts",
        );
      }
      key.allowAccounts = allowAccounts;
    });
  }

  /** The account's `aws/rds` key, created on first use (keyManager "AWS", usable only by its own account). */
  defaultRdsKey(location: AccountRegion): Promise<KmsKeyInfo> {
    return this.defaultKey(location, "alias/aws/rds");
  }

  /** The account's AWS managed key for a service (`alias/aws/<service>`), created on first use. */
  async defaultKey(location: AccountRegion, alias: string): Promise<KmsKeyInfo> {
    return toInfo(await this.#awsManagedKey(location, alias));
  }

  /** Key id, key ARN, alias name or alias ARN, seen from `location` (the caller's account and region). */
  async describeKey(location: AccountRegion, keyRef: string): Promise<KmsKeyInfo> {
    return toInfo(await this.#keyForCaller(location, keyRef, { mustBeEnabled: false }));
  }

  /** Enables or disables a key (owner only); a disabled key refuses cryptographic use with DisabledException. */
  async setKeyEnabled(location: AccountRegion, keyRef: string, enabled: boolean): Promise<KmsKeyInfo> {
    const updated = await this.#store.update((keys) => {
      const key = findKey(keys, location, parseKeyRef(keyRef), keyRef);
      if (key.accountId !== location.accountId || key.keyManager === "AWS") {
        throw kmsError(
          "AccessDeniedException",
          `Account ${location.accountId} cannot enable or disable KMS key ${key.arn}: only the owner of a customer managed key can`,
        );
      }
      key.enabled = enabled;
      return key;
    });
    return toInfo(updated);
  }

  /** A fresh AES-256 data key, in plaintext and encrypted under the KMS key. */
  async generateDataKey(input: {
    caller: AccountRegion;
    keyRef: string;
  }): Promise<{ keyArn: string; plaintext: Buffer; ciphertextBlob: Buffer }> {
    const key = await this.#keyForCaller(input.caller, input.keyRef, { mustBeEnabled: true });
    const plaintext = randomBytes(aesKeyBytes);
    return { keyArn: key.arn, plaintext, ciphertextBlob: sealBlob(key.arn, material(key), plaintext) };
  }

  async encrypt(input: {
    caller: AccountRegion;
    keyRef: string;
    plaintext: Buffer;
  }): Promise<{ keyArn: string; ciphertextBlob: Buffer }> {
    if (input.plaintext.length === 0 || input.plaintext.length > maxEncryptBytes) {
      throw kmsError(
        "InvalidParameterException",
        `Encrypt takes 1 to ${maxEncryptBytes} bytes (got ${input.plaintext.length}); encrypt larger data under a data key from generateDataKey`,
      );
    }
    const key = await this.#keyForCaller(input.caller, input.keyRef, { mustBeEnabled: true });
    return { keyArn: key.arn, ciphertextBlob: sealBlob(key.arn, material(key), input.plaintext) };
  }

  /** The blob names its key, as in AWS; the caller needs access to that key in its own region. */
  async decrypt(input: {
    caller: AccountRegion;
    ciphertextBlob: Buffer;
  }): Promise<{ keyArn: string; plaintext: Buffer }> {
    const named = blobKeyArn(input.ciphertextBlob);
    const keys = await this.#store.read();
    const exists = named !== undefined && keys.some((k) => k.arn === named);
    if (named === undefined || !exists) {
      throw kmsError(
        "InvalidCiphertextException",
        "The ciphertext is not a local KMS ciphertext blob, or names a key that does not exist; it may be corrupted",
      );
    }
    const key = await this.#keyForCaller(input.caller, named, { mustBeEnabled: true });
    try {
      return { keyArn: key.arn, plaintext: openBlob(key.arn, material(key), input.ciphertextBlob) };
    } catch (error) {
      throw kmsError(
        "InvalidCiphertextException",
        `The ciphertext for KMS key ${key.arn} failed authentication: it was altered or truncated`,
        error,
      );
    }
  }

  /** Decrypts under the key the blob names and encrypts under the destination key, for the same caller. */
  async reEncrypt(input: {
    caller: AccountRegion;
    ciphertextBlob: Buffer;
    destinationKeyRef: string;
  }): Promise<{ keyArn: string; ciphertextBlob: Buffer; sourceKeyArn: string }> {
    const source = await this.decrypt({ caller: input.caller, ciphertextBlob: input.ciphertextBlob });
    const destination = await this.#keyForCaller(input.caller, input.destinationKeyRef, {
      mustBeEnabled: true,
    });
    return {
      keyArn: destination.arn,
      ciphertextBlob: sealBlob(destination.arn, material(destination), source.plaintext),
      sourceKeyArn: source.keyArn,
    };
  }

  /** The pipeline's view of KMS, bound to one account and region. */
  port(location: AccountRegion): KmsPort {
    return { location, describeKey: (keyRef) => this.describeKey(location, keyRef) };
  }

  /** Resolves a reference as AWS does for `caller`, then applies the key policy (and the enabled state). */
  async #keyForCaller(
    caller: AccountRegion,
    keyRef: string,
    options: { mustBeEnabled: boolean },
  ): Promise<StoredKey> {
    const ref = parseKeyRef(keyRef);
    let key: StoredKey;
    if (ref.kind === "alias" && ref.location === undefined && isAwsManagedAlias(ref.alias)) {
      // AWS creates an AWS managed key the first time its predefined alias is used.
      key = await this.#awsManagedKey(caller, ref.alias);
    } else {
      key = findKey(await this.#store.read(), caller, ref, keyRef);
    }
    assertAllowed(key, caller);
    if (options.mustBeEnabled && !key.enabled) {
      throw kmsError("DisabledException", `KMS key ${key.arn} is disabled; enable it before using it`);
    }
    return key;
  }

  async #awsManagedKey(location: AccountRegion, alias: string): Promise<StoredKey> {
    if (!isAwsManagedAlias(alias)) {
      throw kmsError("NotFoundException", `'${alias}' is not an AWS managed key alias (alias/aws/<service>)`);
    }
    validateAccountId(location.accountId, "Account");
    const existing = (await this.#store.read()).find(
      (k) => ownedBy(k, location) && k.aliases.includes(alias),
    );
    if (existing) return existing;
    return this.#store.update((keys) => {
      const raced = keys.find((k) => ownedBy(k, location) && k.aliases.includes(alias));
      if (raced) return raced;
      const key = newKey(location, "AWS", this.#now(), {
        aliases: [alias],
        allowAccounts: [],
        description: awsManagedDescriptions[alias] ?? `Default key for ${alias.slice("alias/aws/".length)}`,
      });
      keys.push(key);
      return key;
    });
  }
}

function newKey(
  location: AccountRegion,
  keyManager: StoredKey["keyManager"],
  createdAt: Date,
  details: { aliases: string[]; allowAccounts: string[]; description: string | undefined },
): StoredKey {
  const keyId = randomUUID();
  return {
    keyId,
    arn: keyArn(location, keyId),
    accountId: location.accountId,
    region: location.region,
    keyManager,
    enabled: true,
    ...(details.description === undefined ? {} : { description: details.description }),
    aliases: details.aliases,
    allowAccounts: details.allowAccounts,
    material: randomBytes(aesKeyBytes).toString("base64"),
    createdAt: createdAt.toISOString(),
  };
}

function material(key: StoredKey): Buffer {
  return Buffer.from(key.material, "base64");
}

function toInfo(key: StoredKey): KmsKeyInfo {
  return {
    accountId: key.accountId,
    region: key.region,
    keyId: key.keyId,
    arn: key.arn,
    keyManager: key.keyManager,
    enabled: key.enabled,
    aliases: [...key.aliases],
  };
}
