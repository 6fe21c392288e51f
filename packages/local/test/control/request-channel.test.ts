import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidLocalRequestError, parseLocalRequest } from "../../src/control/local-requests";
import {
  controlDir,
  type RequestServer,
  ServedRequestError,
  sendRequest,
  serveRequests,
} from "../../src/control/request-channel";
import { writeJsonFileAtomic } from "../../src/state-dir";
import { acquireStateLock, currentLockHolder, type StateLock } from "../../src/state-lock";

class NotHereError extends Error {
  override name = "NotHereError";
  readonly code = "DBClusterNotFoundFault";
}

describe("the request channel between a command and local up", () => {
  let stateDir: string;
  let lock: StateLock;
  let server: RequestServer | undefined;
  const handled: unknown[] = [];

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "aurora-channel-"));
    handled.length = 0;
  });
  afterEach(async () => {
    server?.stop();
    await lock?.release();
    await rm(stateDir, { recursive: true, force: true });
  });

  /** What `local up` does: the lock marked as serving, then the server. */
  async function serve(since = new Date()) {
    lock = await acquireStateLock(stateDir, { role: "runtime", servesRequests: true });
    server = await serveRequests(
      stateDir,
      async (body) => {
        handled.push(body);
        if ((body as { fail?: boolean }).fail) throw new NotHereError("no cluster x in 1, r");
        return { echoed: body };
      },
      { since, pollMs: 20 },
    );
  }

  it("marks the lock, answers each request once, and carries an error's name and code back", async () => {
    await serve();
    const holder = await currentLockHolder(stateDir);
    expect(holder?.servesRequests).toBe(true);
    expect(await sendRequest(stateDir, holder!, { n: 1 }, { timeoutMs: 5_000, pollMs: 20 })).toEqual({
      echoed: { n: 1 },
    });
    const failed = await sendRequest(stateDir, holder!, { fail: true }, { timeoutMs: 5_000 }).catch((e) => e);
    expect(failed).toBeInstanceOf(ServedRequestError);
    expect((failed as ServedRequestError).error).toEqual({
      name: "NotHereError",
      code: "DBClusterNotFoundFault",
      message: "no cluster x in 1, r",
    });
    expect(handled).toEqual([{ n: 1 }, { fail: true }]);
    // Nothing is left behind: requests are taken, answers read and removed.
    expect(readdirSync(join(controlDir(stateDir), "requests"))).toEqual([]);
    expect(readdirSync(join(controlDir(stateDir), "responses"))).toEqual([]);
  });

  it("drops requests written for an earlier local up", async () => {
    const stale = join(controlDir(stateDir), "requests", "old.json");
    await writeJsonFileAtomic(stale, { id: "old", createdAt: "2020-01-01T00:00:00.000Z", body: { n: 0 } });
    await serve();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(handled).toEqual([]);
    expect(existsSync(stale)).toBe(false);
  });

  it("gives up, withdrawing its request, when the serving process lets go of the folder", async () => {
    lock = await acquireStateLock(stateDir, { role: "runtime", servesRequests: true });
    const holder = (await currentLockHolder(stateDir))!;
    const sent = sendRequest(stateDir, holder, { n: 2 }, { timeoutMs: 10_000, pollMs: 20 }).catch((e) => e);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await lock.release();
    const error = (await sent) as Error;
    expect(error.message).toContain(
      `(process ${process.pid}) stopped before answering; run the command again`,
    );
    expect(readdirSync(join(controlDir(stateDir), "requests"))).toEqual([]);
  });

  it("takes only the requests local up serves, with the fields it knows", () => {
    const cluster = { accountId: "111111111111", region: "us-east-1", clusterIdentifier: "production-db" };
    expect(parseLocalRequest({ kind: "delete-cluster", cluster: { ...cluster, extra: 1 } })).toEqual({
      kind: "delete-cluster",
      cluster,
    });
    expect(parseLocalRequest({ kind: "snapshot", snapshot: { ...cluster, type: "automated" } })).toEqual({
      kind: "snapshot",
      snapshot: { ...cluster, type: "automated" },
    });
    for (const bad of [
      { kind: "drop-everything" },
      { kind: "snapshot", snapshot: { ...cluster, type: "weekly" } },
      { kind: "delete-cluster", cluster: { accountId: "1" } },
      null,
    ]) {
      expect(() => parseLocalRequest(bad)).toThrow(InvalidLocalRequestError);
    }
  });
});
