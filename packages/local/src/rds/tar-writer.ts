import { open } from "node:fs/promises";
import { PassThrough, type Readable } from "node:stream";

const BLOCK = 512;
/** Read size for file contents: large enough that a data file takes few reads. */
const CHUNK = 256 * 1024;
/** Never written to: the padding of files that shrank while read. */
const ZEROS = Buffer.alloc(CHUNK);
/** ustar's size field: 11 octal digits. */
const MAX_SIZE = 8 ** 11 - 1;

function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException).code === code;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

/** ustar keeps a path in `name` (100 bytes) or splits it at a "/" into `prefix` (155) and `name`. */
function splitPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: "" };
  for (let i = path.indexOf("/"); i !== -1; i = path.indexOf("/", i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  throw new Error(`${path} is too long for a ustar archive`);
}

function header(path: string, type: "file" | "directory", mode: number, size: number): Buffer {
  if (size > MAX_SIZE) throw new Error(`${path} is ${size} bytes, more than a ustar entry holds`);
  const block = Buffer.alloc(BLOCK);
  const { name, prefix } = splitPath(path);
  block.write(name, 0, 100, "utf8");
  block.write(octal(mode & 0o7777, 8), 100, "ascii");
  block.write(octal(0, 8), 108, "ascii"); // uid: the restore chooses the owner (--no-same-owner)
  block.write(octal(0, 8), 116, "ascii"); // gid
  block.write(octal(size, 12), 124, "ascii");
  block.write(octal(Math.floor(Date.now() / 1000), 12), 136, "ascii");
  block.write("        ", 148, "ascii"); // the checksum counts its own field as spaces
  block.write(type === "file" ? "0" : "5", 156, "ascii");
  block.write("ustar\0", 257, "ascii");
  block.write("00", 263, "ascii");
  block.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return block;
}

/**
 * Writes a ustar archive (what `tar -x` unpacks) to `stream`, entry by entry, waiting while the reader is
 * behind. A snapshot streams its files straight from the server's data directory into the archive instead of
 * copying them to a staging folder first: no file is created on the way.
 */
export class TarWriter {
  readonly stream: Readable;
  readonly #out = new PassThrough();

  constructor() {
    this.stream = this.#out;
    // A failure reaches the writer (its next write fails) and the reader's pipeline, not the process.
    this.#out.on("error", () => undefined);
  }

  /** Stops the archive: a writer waiting for the reader fails with `error` (the reader failed, say). */
  abort(error: Error): void {
    this.#out.destroy(error);
  }

  async directory(path: string, mode: number): Promise<void> {
    await this.#write(header(path.endsWith("/") ? path : `${path}/`, "directory", mode, 0));
  }

  /**
   * Adds the file at `source` as `path`, as it is while being read: a file that vanished before it was opened
   * is left out (returns false); one that shrank while read is padded with zeros to the size its entry
   * announced, one that grew is cut there. A base backup needs no more: WAL replay repairs such files.
   */
  async file(path: string, source: string): Promise<boolean> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(source, "r");
    } catch (error) {
      if (isErrno(error, "ENOENT")) return false;
      throw error;
    }
    try {
      const { size, mode } = await handle.stat();
      await this.#write(header(path, "file", mode, size));
      let position = 0;
      while (position < size) {
        const chunk = Buffer.allocUnsafe(Math.min(CHUNK, size - position));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
        if (bytesRead === 0) {
          // Shrank (PostgreSQL truncates a dropped relation's file before removing it): zeros, a chunk at a time.
          const zeros = ZEROS.subarray(0, Math.min(CHUNK, size - position));
          await this.#write(zeros);
          position += zeros.length;
          continue;
        }
        await this.#write(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
        position += bytesRead;
      }
      if (size % BLOCK !== 0) await this.#write(Buffer.alloc(BLOCK - (size % BLOCK)));
      return true;
    } finally {
      await handle.close();
    }
  }

  /** Adds `content` as the file `path`. */
  async content(path: string, content: Buffer, mode: number): Promise<void> {
    await this.#write(header(path, "file", mode, content.length));
    await this.#write(content);
    if (content.length % BLOCK !== 0) await this.#write(Buffer.alloc(BLOCK - (content.length % BLOCK)));
  }

  /** The end-of-archive marker (two empty blocks), then the end of the stream. */
  async end(): Promise<void> {
    await this.#write(Buffer.alloc(2 * BLOCK));
    this.#out.end();
  }

  async #write(chunk: Buffer): Promise<void> {
    const out = this.#out;
    if (out.destroyed) throw new Error("the archive's reader stopped");
    if (out.write(chunk)) return;
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        out.off("drain", onDrain);
        out.off("close", onClose);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => settle();
      const onClose = () => settle(new Error("the archive's reader stopped"));
      out.on("drain", onDrain);
      out.on("close", onClose);
    });
  }
}
