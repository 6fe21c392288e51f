import { chmod, stat } from "node:fs/promises";
import { join } from "node:path";
import { ensurePrivateDir, readJsonFile, SerialQueue, writeJsonFileAtomic } from "../state-dir";

/** One key as persisted. `material` (base64, 32 bytes) never leaves this file except to encrypt/decrypt. */
export interface StoredKey {
  keyId: string;
  arn: string;
  accountId: string;
  region: string;
  keyManager: "AWS" | "CUSTOMER";
  enabled: boolean;
  description?: string;
  aliases: string[];
  /** Accounts other than the owner that the key policy lets use the key. */
  allowAccounts: string[];
  material: string;
  createdAt: string;
}

interface KeysFile {
  version: 1;
  keys: StoredKey[];
}

/**
 * The keys file `<stateDir>/kms/keys.json` (mode 0600, folder 0700). Reads are cached and reloaded when the
 * file is replaced (another instance or process wrote it); writes are serialized read-modify-write cycles
 * through a promise chain and land atomically (temp file + rename).
 */
export class KeyStore {
  readonly file: string;
  readonly #dir: string;
  readonly #writes = new SerialQueue();
  #cache: { stamp: string; keys: StoredKey[] } | undefined;

  constructor(stateDir: string) {
    this.#dir = join(stateDir, "kms");
    this.file = join(this.#dir, "keys.json");
  }

  /** Current keys; callers must not mutate them (use `update`). */
  async read(): Promise<readonly StoredKey[]> {
    return (await this.#load()).keys;
  }

  /** Applies `change` to a fresh copy of the keys and persists it if the change resolved. */
  update<T>(change: (keys: StoredKey[]) => T | Promise<T>): Promise<T> {
    return this.#writes.run(async () => {
      const keys = structuredClone((await this.#load()).keys);
      const result = await change(keys);
      await ensurePrivateDir(this.#dir);
      const contents: KeysFile = { version: 1, keys };
      await writeJsonFileAtomic(this.file, contents, { mode: 0o600 });
      this.#cache = { stamp: await this.#stamp(), keys };
      return result;
    });
  }

  async #load(): Promise<{ stamp: string; keys: StoredKey[] }> {
    const stamp = await this.#stamp();
    if (this.#cache?.stamp === stamp) return this.#cache;
    const parsed = await readJsonFile<KeysFile>(this.file);
    if (parsed !== undefined && (parsed.version !== 1 || !Array.isArray(parsed.keys))) {
      throw new Error(`${this.file} is not a local KMS keys file (version 1); move it away to start afresh`);
    }
    if (parsed !== undefined) await this.#tightenMode();
    this.#cache = { stamp, keys: parsed?.keys ?? [] };
    return this.#cache;
  }

  /** Identifies the file's current version: a rename gives a new inode, an in-place edit a new mtime/size. */
  async #stamp(): Promise<string> {
    try {
      const s = await stat(this.file, { bigint: true });
      return `${s.ino}:${s.mtimeNs}:${s.size}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return "absent";
      throw error;
    }
  }

  /** Key material must be readable by the current user only, even if someone loosened the mode. */
  async #tightenMode(): Promise<void> {
    const s = await stat(this.file);
    if ((s.mode & 0o077) !== 0) await chmod(this.file, 0o600);
  }
}
