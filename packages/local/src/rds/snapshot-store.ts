import { spawn } from "node:child_process";
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable, type Transform, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import type { AccountRegion } from "@aurora-restore/core/ports/index";
import type { LocalKms } from "../kms/local-kms";
import { readJsonFile, writeJsonFileAtomic } from "../state-dir";
import { withKms } from "./errors";
import { run } from "./processes";

const format = "local-rds-snapshot/1";

/**
 * What a snapshot file holds once decrypted: a packed PostgreSQL data directory (tar, gzip-compressed), or the
 * manifest of an instant cluster (JSON: what the cluster held, without a data directory).
 */
export type SnapshotContent = "tar+gzip" | "instant-manifest+json";

/** Stored beside the ciphertext: the data key only in its KMS-wrapped form, never in plaintext. */
export interface SnapshotEnvelope {
  format: typeof format;
  cipher: "aes-256-gcm";
  content: SnapshotContent;
  keyArn: string;
  wrappedDataKey: string;
  iv: string;
  authTag: string;
  /** Authenticated with the data (GCM additional data), so an envelope cannot be swapped onto other data. */
  contentId: string;
  bytes: number;
}

/** The ciphertext or its envelope was changed after it was written: nothing may be restored from it. */
export class SnapshotIntegrityError extends Error {
  override name = "SnapshotIntegrityError";
}

function aad(contentId: string): Buffer {
  return Buffer.from(`${format}:${contentId}`, "utf8");
}

/**
 * Snapshot files at rest: a packed data directory encrypted with AES-256-GCM under a fresh data key from the
 * local KMS (envelope encryption). Decryption is verified in full before anything is unpacked, so a modified
 * file fails with an integrity error instead of restoring garbage.
 */
export class SnapshotStore {
  constructor(
    readonly dir: string,
    readonly workDir: string,
    readonly kms: LocalKms,
  ) {}

  dataFile(id: string): string {
    return join(this.dir, `${id}.data`);
  }

  envelopeFile(id: string): string {
    return join(this.dir, `${id}.envelope.json`);
  }

  /**
   * Packs (with `tar`) and encrypts the folder `sourceDir` under `keyArn`, used as `owner` (the snapshot's account
   * and region). A running server's snapshot streams its files through `sealArchive` instead (no folder copy).
   */
  async seal(input: {
    id: string;
    sourceDir: string;
    keyArn: string;
    owner: AccountRegion;
  }): Promise<SnapshotEnvelope> {
    const dataKey = await withKms(`Cannot encrypt the snapshot with KMS key ${input.keyArn}`, () =>
      this.kms.generateDataKey({ caller: input.owner, keyRef: input.keyArn }),
    );
    return this.#write(input.id, dataKey, "tar+gzip", () => {
      const tar = spawnTar(["-cf", "-", "-C", input.sourceDir, "."]);
      return { stages: [tar.stdout, createGzip({ level: 1 })], done: tar.done };
    });
  }

  /**
   * Compresses and encrypts a tar archive as it is written (`archive`: a snapshot streamed from a running
   * server), like `seal`.
   */
  async sealArchive(input: {
    id: string;
    archive: Readable;
    keyArn: string;
    owner: AccountRegion;
  }): Promise<SnapshotEnvelope> {
    const dataKey = await withKms(`Cannot encrypt the snapshot with KMS key ${input.keyArn}`, () =>
      this.kms.generateDataKey({ caller: input.owner, keyRef: input.keyArn }),
    );
    return this.#write(input.id, dataKey, "tar+gzip", () => ({
      stages: [input.archive, createGzip({ level: 1 })],
      done: Promise.resolve(),
    }));
  }

  /** Encrypts a small document (an instant cluster's manifest) under `keyArn`, like `seal`. */
  async sealBytes(input: {
    id: string;
    bytes: Buffer;
    content: SnapshotContent;
    keyArn: string;
    owner: AccountRegion;
  }): Promise<SnapshotEnvelope> {
    const dataKey = await withKms(`Cannot encrypt the snapshot with KMS key ${input.keyArn}`, () =>
      this.kms.generateDataKey({ caller: input.owner, keyRef: input.keyArn }),
    );
    return this.#write(input.id, dataKey, input.content, () => ({
      stages: [Readable.from([input.bytes])],
      done: Promise.resolve(),
    }));
  }

  /**
   * Decrypts and verifies a document sealed by `sealBytes`, as `caller` (the key policy applies). Throws
   * SnapshotIntegrityError when the file was modified or holds another kind of content.
   */
  async openBytes(input: { id: string; caller: AccountRegion; content: SnapshotContent }): Promise<Buffer> {
    const envelope = await this.#envelope(input.id);
    if (envelope.content !== input.content) {
      throw new SnapshotIntegrityError(
        `Snapshot file ${this.dataFile(input.id)} holds ${envelope.content}, not ${input.content}`,
      );
    }
    const key = await this.unwrapDataKey(input.id, input.caller);
    try {
      const chunks: Buffer[] = [];
      const [file, decipher] = this.#decrypting(input.id, envelope, key);
      await pipeline(file, decipher, async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) chunks.push(chunk);
      }).catch((error: unknown) => {
        throw this.#integrity(input.id, error);
      });
      return Buffer.concat(chunks);
    } finally {
      key.fill(0);
    }
  }

  /**
   * Re-encrypts a snapshot under a key of the destination account and region: the source data key is
   * unwrapped by `caller` (the copying account) in the source region, so the source key policy must allow it.
   */
  async copy(input: {
    fromId: string;
    toId: string;
    caller: AccountRegion;
    sourceRegion: string;
    destinationKeyArn: string;
  }): Promise<SnapshotEnvelope> {
    const source = await this.#envelope(input.fromId);
    const plaintextKey = await this.unwrapDataKey(input.fromId, {
      accountId: input.caller.accountId,
      region: input.sourceRegion,
    });
    const dataKey = await withKms(`Cannot encrypt the copy with KMS key ${input.destinationKeyArn}`, () =>
      this.kms.generateDataKey({ caller: input.caller, keyRef: input.destinationKeyArn }),
    );
    try {
      return await this.#write(input.toId, dataKey, source.content, () => ({
        stages: this.#decrypting(input.fromId, source, plaintextKey),
        done: Promise.resolve(),
      }));
    } catch (error) {
      throw this.#integrity(input.fromId, error);
    } finally {
      plaintextKey.fill(0);
    }
  }

  /** Unwraps the data key as `caller` would: fails with KMSKeyNotAccessibleFault when the key policy refuses it. */
  async unwrapDataKey(id: string, caller: AccountRegion): Promise<Buffer> {
    const envelope = await this.#envelope(id);
    const { plaintext } = await withKms(
      `Cannot decrypt the snapshot's data key with KMS key ${envelope.keyArn}`,
      () => this.kms.decrypt({ caller, ciphertextBlob: Buffer.from(envelope.wrappedDataKey, "base64") }),
    );
    return plaintext;
  }

  /**
   * Decrypts and verifies the whole file first (into the work folder), then unpacks it into `destination`.
   * Throws SnapshotIntegrityError when authentication fails.
   */
  async unseal(input: { id: string; caller: AccountRegion; destination: string }): Promise<void> {
    const envelope = await this.#envelope(input.id);
    if (envelope.content !== "tar+gzip") {
      throw new SnapshotIntegrityError(
        `Snapshot file ${this.dataFile(input.id)} holds ${envelope.content}, not a PostgreSQL data directory: it was taken of an instant cluster`,
      );
    }
    const key = await this.unwrapDataKey(input.id, input.caller);
    await mkdir(this.workDir, { recursive: true, mode: 0o700 });
    const verified = join(this.workDir, `${randomUUID()}.tar.gz`);
    const unpacked = join(this.workDir, `${randomUUID()}.tar`);
    try {
      const [file, decipher] = this.#decrypting(input.id, envelope, key);
      await pipeline(file, decipher, createWriteStream(verified, { mode: 0o600 })).catch((error: unknown) => {
        throw this.#integrity(input.id, error);
      });
      key.fill(0);
      await mkdir(input.destination, { recursive: true, mode: 0o700 });
      // tar stops reading at the end-of-archive marker, so it reads a file rather than a pipe it might close early.
      await pipeline(
        createReadStream(verified),
        createGunzip(),
        createWriteStream(unpacked, { mode: 0o600 }),
      );
      await run("tar", ["-xf", unpacked, "-C", input.destination, "--no-same-owner"]);
    } finally {
      await rm(verified, { force: true });
      await rm(unpacked, { force: true });
    }
  }

  async remove(id: string): Promise<void> {
    await rm(this.dataFile(id), { force: true });
    await rm(this.envelopeFile(id), { force: true });
  }

  async #envelope(id: string): Promise<SnapshotEnvelope> {
    const envelope = await readJsonFile<SnapshotEnvelope>(this.envelopeFile(id));
    if (!envelope || envelope.format !== format) {
      throw new SnapshotIntegrityError(
        `The envelope of snapshot file ${this.dataFile(id)} is missing or not a ${format} envelope`,
      );
    }
    return envelope;
  }

  /** The stages that decrypt a snapshot file; GCM authentication is checked when the last chunk is read. */
  #decrypting(id: string, envelope: SnapshotEnvelope, key: Buffer): [Readable, Transform] {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(envelope.iv, "base64"), {
      authTagLength: 16,
    });
    decipher.setAAD(aad(envelope.contentId));
    decipher.setAuthTag(Buffer.from(envelope.authTag, "base64"));
    return [createReadStream(this.dataFile(id)), decipher];
  }

  /** Names a failed GCM authentication for what it is: the file was modified. */
  #integrity(id: string, error: unknown): unknown {
    if (!(error instanceof Error) || !/unable to authenticate/i.test(error.message)) return error;
    return new SnapshotIntegrityError(
      `Snapshot file ${this.dataFile(id)} failed AES-GCM authentication: it was modified or corrupted after it was ` +
        "written. Nothing was restored from it; delete this snapshot and use another one",
      { cause: error },
    );
  }

  async #write(
    id: string,
    dataKey: { keyArn: string; plaintext: Buffer; ciphertextBlob: Buffer },
    content: SnapshotContent,
    /**
     * Called right before the pipeline is assembled: Node discards the output of a child process that exits
     * before anything reads it, so tar must not be spawned earlier.
     */
    produce: () => { stages: [Readable, ...Transform[]]; done: Promise<void> },
  ): Promise<SnapshotEnvelope> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const contentId = randomUUID();
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", dataKey.plaintext, iv, { authTagLength: 16 });
    cipher.setAAD(aad(contentId));
    const temp = `${this.dataFile(id)}.${randomUUID()}.tmp`;
    try {
      const { stages, done } = produce();
      const sink: Writable = createWriteStream(temp, { mode: 0o600 });
      await Promise.all([pipeline([...stages, cipher, sink]), done]);
      const envelope: SnapshotEnvelope = {
        format,
        cipher: "aes-256-gcm",
        content,
        keyArn: dataKey.keyArn,
        wrappedDataKey: dataKey.ciphertextBlob.toString("base64"),
        iv: iv.toString("base64"),
        authTag: cipher.getAuthTag().toString("base64"),
        contentId,
        bytes: (await stat(temp)).size,
      };
      await rename(temp, this.dataFile(id));
      await writeJsonFileAtomic(this.envelopeFile(id), envelope);
      return envelope;
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    } finally {
      dataKey.plaintext.fill(0);
    }
  }
}

/** GNU tar or bsdtar, streaming; `done` rejects with tar's stderr when it exits non-zero. */
function spawnTar(args: string[]): { stdout: Readable; done: Promise<void> } {
  const child = spawn("tar", args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const done = new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`tar ${args[0]} failed (exit ${String(code)}): ${stderr.trim()}`)),
    );
  });
  return { stdout: child.stdout, done };
}
