import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openLocalState } from "../../src/runtime/open-state";
import { StateDirError } from "../../src/state-dir";
import { acquireStateLock, StateFolderBusyError, stateLockFile } from "../../src/state-lock";

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(String(child.stdout));
}

describe("the state folder's lock", () => {
  let stateDir: string;

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "aurora-lock-"));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it("is held by one runtime at a time; the refusal names the holder", async () => {
    const lock = await acquireStateLock(stateDir, { role: "runtime" });
    const refused = await acquireStateLock(stateDir, { role: "runtime" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StateFolderBusyError);
    expect((refused as StateFolderBusyError).holder.pid).toBe(process.pid);
    expect((refused as StateFolderBusyError).message).toContain(`in use by process ${process.pid}`);
    await lock.release();
    expect(existsSync(stateLockFile(stateDir))).toBe(false);
    await (await acquireStateLock(stateDir, { role: "runtime" })).release();
  });

  it("takes over the lock of a process that is gone, and a torn lock file after 5 s", async () => {
    const pid = deadPid();
    await writeFile(
      stateLockFile(stateDir),
      JSON.stringify({ pid, role: "runtime", command: "gone", since: "x", host: "", token: "t" }),
    );
    // host "" is not this host: such a holder is assumed alive (a state folder on a network share).
    await expect(acquireStateLock(stateDir, { role: "runtime" })).rejects.toBeInstanceOf(
      StateFolderBusyError,
    );
    await writeFile(
      stateLockFile(stateDir),
      JSON.stringify({ pid, role: "runtime", command: "gone", since: "x", host: hostname(), token: "t" }),
    );
    const lock = await acquireStateLock(stateDir, { role: "runtime" });
    expect(JSON.parse(await readFile(stateLockFile(stateDir), "utf8")).pid).toBe(process.pid);
    await lock.release();

    await writeFile(stateLockFile(stateDir), "{ torn");
    const old = new Date(Date.now() - 6_000);
    await utimes(stateLockFile(stateDir), old, old);
    await (await acquireStateLock(stateDir, { role: "runtime" })).release();
  });

  it("a runtime waits for a reader (readers are brief)", async () => {
    const reader = await acquireStateLock(stateDir, { role: "reader" });
    setTimeout(() => void reader.release(), 300);
    const started = Date.now();
    const lock = await acquireStateLock(stateDir, { role: "runtime", waitForReadersMs: 5_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await lock.release();
  });

  it("read commands neither create a missing state folder nor a lock left behind", async () => {
    const missing = join(stateDir, "typo");
    await expect(openLocalState({ stateDir: missing })).rejects.toBeInstanceOf(StateDirError);
    expect(existsSync(missing)).toBe(false);
    const state = await openLocalState({ stateDir });
    expect(await state.store.listByStatus("running")).toEqual([]);
    await state.close();
    expect(existsSync(stateLockFile(stateDir))).toBe(false);
    expect(existsSync(join(stateDir, "dynamodb"))).toBe(false);
  });
});
