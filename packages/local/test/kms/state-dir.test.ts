import { readdir, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ensurePrivateDir,
  readJsonFile,
  resolveStateDir,
  SerialQueue,
  stateDirEnvVar,
  writeJsonFileAtomic,
} from "../../src/state-dir";
import { fileMode, tempStateDir } from "./helpers";

let state: Awaited<ReturnType<typeof tempStateDir>>;

beforeEach(async () => {
  state = await tempStateDir();
});
afterEach(() => state.cleanup());

describe("resolveStateDir", () => {
  it("defaults to .aurora-restore in the working directory", () => {
    expect(resolveStateDir({ cwd: "/srv/app", env: {} })).toBe("/srv/app/.aurora-restore");
  });

  it("takes AURORA_RESTORE_STATE_DIR over the default, relative to the working directory", () => {
    expect(resolveStateDir({ cwd: "/srv/app", env: { [stateDirEnvVar]: "state" } })).toBe("/srv/app/state");
    expect(resolveStateDir({ cwd: "/srv/app", env: { [stateDirEnvVar]: "  " } })).toBe(
      "/srv/app/.aurora-restore",
    );
  });

  it("takes the explicit option over the environment", () => {
    expect(
      resolveStateDir({ stateDir: "/data/x", cwd: "/srv/app", env: { [stateDirEnvVar]: "/data/y" } }),
    ).toBe("/data/x");
  });

  it("uses the process's working directory and environment by default", () => {
    expect(resolveStateDir()).toBe(resolve(process.env[stateDirEnvVar] || ".aurora-restore"));
  });
});

describe("ensurePrivateDir", () => {
  it("creates nested folders with mode 0700 and tightens an existing leaf", async () => {
    const dir = await ensurePrivateDir(state.dir, "a", "b");
    expect(dir).toBe(join(state.dir, "a", "b"));
    expect(fileMode((await stat(dir)).mode)).toBe(0o700);
    expect(fileMode((await stat(join(state.dir, "a"))).mode)).toBe(0o700);
    const { chmod } = await import("node:fs/promises");
    await chmod(dir, 0o755);
    await ensurePrivateDir(state.dir, "a", "b");
    expect(fileMode((await stat(dir)).mode)).toBe(0o700);
  });
});

describe("writeJsonFileAtomic / readJsonFile", () => {
  it("writes JSON with mode 0600, leaves no temp files, and reads it back", async () => {
    const file = join(state.dir, "nested", "data.json");
    await writeJsonFileAtomic(file, { a: 1 });
    await writeJsonFileAtomic(file, { a: 2 });
    expect(await readJsonFile(file)).toEqual({ a: 2 });
    expect(fileMode((await stat(file)).mode)).toBe(0o600);
    expect(await readdir(join(state.dir, "nested"))).toEqual(["data.json"]);
  });

  it("honours an explicit mode", async () => {
    const file = join(state.dir, "public.json");
    await writeJsonFileAtomic(file, [], { mode: 0o640 });
    expect(fileMode((await stat(file)).mode)).toBe(0o640);
  });

  it("reads a missing file as undefined and names a malformed one", async () => {
    expect(await readJsonFile(join(state.dir, "missing.json"))).toBeUndefined();
    const file = join(state.dir, "bad.json");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(file, "{");
    await expect(readJsonFile(file)).rejects.toThrow(/bad\.json is not valid JSON/);
  });

  it("never leaves a half-written file when writes race", async () => {
    const file = join(state.dir, "race.json");
    const big = (n: number) => ({ n, filler: "x".repeat(200_000) });
    await Promise.all(Array.from({ length: 10 }, (_, n) => writeJsonFileAtomic(file, big(n))));
    const parsed = JSON.parse(await readFile(file, "utf8")) as { n: number; filler: string };
    expect(parsed.filler).toHaveLength(200_000);
    expect(await readdir(state.dir)).toEqual(["race.json"]);
  });
});

describe("SerialQueue", () => {
  it("runs tasks one at a time in submission order", async () => {
    const queue = new SerialQueue();
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const first = queue.run(async () => {
      events.push("first:start");
      await gate;
      events.push("first:end");
      return 1;
    });
    const second = queue.run(async () => {
      events.push("second");
      return 2;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(events).toEqual(["first:start"]);
    release();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(events).toEqual(["first:start", "first:end", "second"]);
  });

  it("rejects only the failing task's caller and keeps going", async () => {
    const queue = new SerialQueue();
    const failed = queue.run(async () => {
      throw new Error("boom");
    });
    const next = queue.run(async () => "ok");
    await expect(failed).rejects.toThrow("boom");
    expect(await next).toBe("ok");
  });
});
