import { randomInt, randomUUID } from "node:crypto";
import type {
  AccountRegion,
  SecretDescription,
  SecretsPort,
  SecretValue,
} from "@aurora-restore/core/ports/index";
import { AwsCallError, type AwsErrorCode } from "@aurora-restore/core/ports/index";
import type { LocalKms } from "../kms/local-kms";
import { openSecretValue, sealSecretValue } from "./secret-envelope";
import { addStagedVersion, current, moveStage, validateStage } from "./secret-stages";
import { SecretStore, type StoredSecret, type StoredVersion } from "./secret-store";

const defaultKeyAlias = "alias/aws/secretsmanager";
const maxSecretBytes = 65_536;
const suffixAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * Secrets Manager on this machine: secrets per local account and region under
 * `<stateDir>/secrets/<account>/<region>/`, values envelope-encrypted with the local KMS (the secret's key or
 * the account's `aws/secretsmanager` key), versions staged (AWSCURRENT, AWSPREVIOUS, AWSPENDING, any label)
 * as AWS stages them (secret-stages.ts).
 */
export class LocalSecretsManager {
  readonly #store: SecretStore;
  readonly #kms: LocalKms;
  readonly #now: () => Date;

  constructor(options: { stateDir: string; kms: LocalKms; now?: () => Date }) {
    this.#store = new SecretStore(options.stateDir);
    this.#kms = options.kms;
    this.#now = options.now ?? (() => new Date());
  }

  /** Path of the file holding a location's secrets (encrypted values only). */
  secretsFile(location: AccountRegion): string {
    return this.#store.fileFor(location);
  }

  port(location: AccountRegion): SecretsPort {
    const fixed = { accountId: location.accountId, region: location.region };
    return {
      location: fixed,
      createSecret: (input) => this.#createSecret(fixed, input),
      putSecretValue: (input) => this.#putSecretValue(fixed, input),
      getSecretValue: (input) => this.#getSecretValue(fixed, input),
      describeSecret: (secretId) => this.#describeSecret(fixed, secretId),
      updateSecretVersionStage: (input) => this.#updateSecretVersionStage(fixed, input),
    };
  }

  async #createSecret(
    location: AccountRegion,
    input: Parameters<SecretsPort["createSecret"]>[0],
  ): Promise<{ arn: string; name: string; versionId: string }> {
    validateName(input.name);
    validateValue(input.secretString);
    return this.#store.update(location, async (secrets) => {
      if (secrets.some((s) => s.name === input.name)) {
        throw secretsError(
          "ResourceExistsException",
          `The operation failed because the secret ${input.name} already exists.`,
        );
      }
      const arn = `arn:aws:secretsmanager:${location.region}:${location.accountId}:secret:${input.name}-${randomSuffix()}`;
      const secret: StoredSecret = {
        name: input.name,
        arn,
        ...(input.kmsKeyId === undefined ? {} : { kmsKeyId: input.kmsKeyId }),
        ...(input.description === undefined ? {} : { description: input.description }),
        ...(input.tags === undefined ? {} : { tags: { ...input.tags } }),
        createdAt: this.#now().toISOString(),
        versions: [],
      };
      const version = await this.#newVersion(
        location,
        secret,
        input.secretString,
        [current],
        input.clientRequestToken,
      );
      secret.versions.push(version);
      secrets.push(secret);
      return { arn, name: secret.name, versionId: version.versionId };
    });
  }

  /**
   * A new version with `versionStages` (default AWSCURRENT), each label taken from the version holding it.
   * Only when AWSCURRENT moves does the old current become AWSPREVIOUS (and the old previous lose it).
   */
  async #putSecretValue(
    location: AccountRegion,
    input: Parameters<SecretsPort["putSecretValue"]>[0],
  ): Promise<{ arn: string; versionId: string }> {
    validateValue(input.secretString);
    const stages = [...new Set(input.versionStages ?? [current])];
    if (stages.length === 0) {
      throw secretsError(
        "InvalidParameterException",
        "VersionStages must list at least one staging label; leave it out to stage the value as AWSCURRENT",
      );
    }
    for (const stage of stages) validateStage(stage);
    return this.#store.update(location, async (secrets) => {
      const secret = findSecret(secrets, input.secretId);
      const token = input.clientRequestToken;
      const existing = token === undefined ? undefined : secret.versions.find((v) => v.versionId === token);
      if (existing) {
        // AWS: the same token with the same value is ignored; with another value it is refused.
        if ((await this.#open(location, secret, existing)) === input.secretString) {
          return { arn: secret.arn, versionId: existing.versionId };
        }
        throw secretsError(
          "ResourceExistsException",
          `You can't modify an existing version, you can only create a new version: version ${token} of ${secret.name} holds another value.`,
        );
      }
      const version = await this.#newVersion(location, secret, input.secretString, stages, token);
      addStagedVersion(secret, version);
      return { arn: secret.arn, versionId: version.versionId };
    });
  }

  /**
   * UpdateSecretVersionStage as AWS does it: a label attached elsewhere moves only when the caller names
   * the version it leaves; moving AWSCURRENT moves AWSPREVIOUS to the version it left; AWSCURRENT is never
   * just removed (every secret keeps a current version).
   */
  async #updateSecretVersionStage(
    location: AccountRegion,
    input: Parameters<SecretsPort["updateSecretVersionStage"]>[0],
  ): Promise<void> {
    validateStage(input.versionStage);
    await this.#store.update(location, (secrets) => {
      moveStage(findSecret(secrets, input.secretId), input);
    });
  }

  async #getSecretValue(
    location: AccountRegion,
    input: { secretId: string; versionStage?: string; versionId?: string },
  ): Promise<SecretValue> {
    const secret = findSecret(await this.#store.read(location), input.secretId);
    const stage = input.versionStage ?? current;
    const version =
      input.versionId === undefined
        ? secret.versions.find((v) => v.stages.includes(stage))
        : secret.versions.find(
            (v) =>
              v.versionId === input.versionId &&
              (input.versionStage === undefined || v.stages.includes(input.versionStage)),
          );
    if (!version) {
      throw secretsError(
        "ResourceNotFoundException",
        input.versionId === undefined
          ? `Secrets Manager can't find the specified secret value for staging label: ${stage}`
          : `Secrets Manager can't find the specified secret value for VersionId: ${input.versionId}`,
      );
    }
    return {
      arn: secret.arn,
      name: secret.name,
      versionId: version.versionId,
      secretString: await this.#open(location, secret, version),
    };
  }

  async #open(location: AccountRegion, secret: StoredSecret, version: StoredVersion): Promise<string> {
    let secretString: string;
    try {
      secretString = await openSecretValue(this.#kms, {
        caller: location,
        secretArn: secret.arn,
        versionId: version.versionId,
        encryptedDataKey: version.encryptedDataKey,
        sealedValue: version.sealedValue,
      });
    } catch (error) {
      const reason =
        error instanceof AwsCallError ? ` (${error.message})` : " (the stored value failed authentication)";
      throw secretsError(
        "DecryptionFailure",
        `Secrets Manager can't decrypt the protected secret text using the provided KMS key${reason}.`,
        error,
      );
    }
    return secretString;
  }

  async #describeSecret(location: AccountRegion, secretId: string): Promise<SecretDescription> {
    const secret = findSecret(await this.#store.read(location), secretId);
    return {
      arn: secret.arn,
      name: secret.name,
      ...(secret.kmsKeyId === undefined ? {} : { kmsKeyId: secret.kmsKeyId }),
      ...(secret.description === undefined ? {} : { description: secret.description }),
      versions: Object.fromEntries(secret.versions.map((v) => [v.versionId, [...v.stages]])),
    };
  }

  async #newVersion(
    location: AccountRegion,
    secret: StoredSecret,
    value: string,
    stages: string[],
    clientRequestToken?: string,
  ): Promise<StoredVersion> {
    if (clientRequestToken !== undefined && !/^[\x21-\x7e]{32,64}$/.test(clientRequestToken)) {
      throw secretsError(
        "InvalidParameterException",
        "ClientRequestToken must be 32 to 64 printable characters (a UUID is usual)",
      );
    }
    const versionId = clientRequestToken ?? randomUUID();
    const keyRef = secret.kmsKeyId ?? defaultKeyAlias;
    try {
      const sealed = await sealSecretValue(this.#kms, {
        caller: location,
        keyRef,
        secretArn: secret.arn,
        versionId,
        value,
      });
      return { versionId, stages: [...stages], createdAt: this.#now().toISOString(), ...sealed };
    } catch (error) {
      if (!(error instanceof AwsCallError)) throw error;
      // AWS names this EncryptionFailure, which the ports' error codes do not include.
      throw secretsError(
        "InvalidRequestException",
        `Secrets Manager can't encrypt the protected secret text using KMS key ${keyRef}: ${error.message}. ` +
          "Check that the key exists in this account and region, is enabled, and its policy allows this account.",
        error,
      );
    }
  }
}

function findSecret(secrets: StoredSecret[], secretId: string): StoredSecret {
  const secret = secretId.startsWith("arn:")
    ? secrets.find((s) => s.arn === secretId)
    : secrets.find((s) => s.name === secretId);
  if (!secret) {
    throw secretsError(
      "ResourceNotFoundException",
      `Secrets Manager can't find the specified secret. (${secretId}: check the name or full ARN and the account and region)`,
    );
  }
  return secret;
}

function validateName(name: string): void {
  if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) {
    throw secretsError(
      "InvalidParameterException",
      `Invalid secret name '${name}': use 1 to 512 letters, digits or /_+=.@- characters`,
    );
  }
}

function validateValue(value: string): void {
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > maxSecretBytes) {
    throw secretsError(
      "InvalidParameterException",
      `The secret string is ${bytes} bytes; Secrets Manager accepts at most ${maxSecretBytes}`,
    );
  }
}

function randomSuffix(): string {
  let suffix = "";
  for (let i = 0; i < 6; i++) suffix += suffixAlphabet[randomInt(suffixAlphabet.length)];
  return suffix;
}

function secretsError(code: AwsErrorCode, message: string, cause?: unknown): AwsCallError {
  return new AwsCallError(code, message, "secretsmanager", cause === undefined ? undefined : { cause });
}
