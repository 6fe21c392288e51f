import { join } from "node:path";
import type { AccountRegion } from "@aurora-restore/core/ports/index";
import { ensurePrivateDir, readJsonFile, SerialQueue, writeJsonFileAtomic } from "../state-dir";

/** One version of a secret as persisted: the value sealed under a data key that only KMS can unwrap. */
export interface StoredVersion {
  versionId: string;
  stages: string[];
  createdAt: string;
  /** KMS ciphertext blob of the AES-256 data key (base64). */
  encryptedDataKey: string;
  /** `iv | tag | ciphertext` of the secret string under the data key (base64). */
  sealedValue: string;
}

export interface StoredSecret {
  name: string;
  arn: string;
  /** As the caller gave it; absent means the account's `aws/secretsmanager` key. */
  kmsKeyId?: string;
  description?: string;
  tags?: Record<string, string>;
  createdAt: string;
  versions: StoredVersion[];
}

interface SecretsFile {
  version: 1;
  secrets: StoredSecret[];
}

/**
 * `<stateDir>/secrets/<account>/<region>/secrets.json` (0600 in 0700 folders). Every call reads the file, so
 * instances sharing a folder see each other's writes; writes are serialized read-modify-write cycles.
 */
export class SecretStore {
  readonly #root: string;
  readonly #writes = new SerialQueue();

  constructor(stateDir: string) {
    this.#root = join(stateDir, "secrets");
  }

  fileFor(location: AccountRegion): string {
    return join(this.#root, ...locationSegments(location), "secrets.json");
  }

  async read(location: AccountRegion): Promise<StoredSecret[]> {
    const file = this.fileFor(location);
    const parsed = await readJsonFile<SecretsFile>(file);
    if (parsed === undefined) return [];
    if (parsed.version !== 1 || !Array.isArray(parsed.secrets)) {
      throw new Error(
        `${file} is not a local Secrets Manager file (version 1); move it away to start afresh`,
      );
    }
    return parsed.secrets;
  }

  /** Applies `change` to the location's secrets and persists them if it resolved. */
  update<T>(location: AccountRegion, change: (secrets: StoredSecret[]) => T | Promise<T>): Promise<T> {
    return this.#writes.run(async () => {
      const secrets = await this.read(location);
      const result = await change(secrets);
      await ensurePrivateDir(this.#root, ...locationSegments(location));
      const contents: SecretsFile = { version: 1, secrets };
      await writeJsonFileAtomic(this.fileFor(location), contents, { mode: 0o600 });
      return result;
    });
  }
}

/** Account and region become folder names, so they must be plain identifiers (no path tricks). */
function locationSegments(location: AccountRegion): [string, string] {
  if (!/^\d{12}$/.test(location.accountId) || !/^[a-z0-9-]+$/.test(location.region)) {
    throw new Error(
      `Invalid location ${location.accountId}/${location.region}: expected a 12-digit account id and a region like eu-west-1`,
    );
  }
  return [location.accountId, location.region];
}
