import type { AccountRegion } from "@aurora-restore/core/ports/index";
import type { ClusterRecord, SnapshotRecord } from "./registry";

/** How the local RDS's clusters hold data: real PostgreSQL servers, or instant records (no server). */
export type ClusterMode = "postgres" | "instant";

/**
 * Everything the local RDS does to a cluster's data, behind its API: the operation modules decide statuses,
 * events, refusals and timing; a data path only creates, serves, captures, restores and destroys data.
 * Work that captures a cluster (snapshot, clone) and work that removes it run one at a time per cluster, and
 * `snapshot`/`clone` queue that work before they return, so a deletion that follows waits for them.
 */
export interface ClusterDataPath {
  readonly mode: ClusterMode;
  /** Prepared once before clusters are used (postgres: server account, binaries, local CA). */
  prepare(): Promise<void>;
  /** The port a new cluster's endpoint gets. */
  newPort(): Promise<number>;
  /** The data of a new, empty cluster with its master user (whose password is given as a SCRAM verifier). */
  initialise(record: ClusterRecord, masterVerifier: string): Promise<void>;
  /** Serves a cluster whose data is ready (again after a restart); `database` is created on the way. */
  start(record: ClusterRecord, options?: { database?: string }): Promise<void>;
  /** Captures `cluster` into the snapshot file of `snapshot`, encrypted under the snapshot's key. */
  snapshot(cluster: ClusterRecord, snapshot: SnapshotRecord): Promise<void>;
  /**
   * Fills a new cluster from a snapshot, decrypted as `caller`; throws SnapshotIntegrityError when the file
   * does not authenticate. Leftovers of a failed restore are removed by `discard`.
   */
  restore(record: ClusterRecord, snapshot: SnapshotRecord, caller: AccountRegion): Promise<void>;
  discard(record: ClusterRecord): Promise<void>;
  /** A consistent copy of a serving cluster's data into a new cluster (Aurora clone). */
  clone(source: ClusterRecord, record: ClusterRecord): Promise<void>;
  /** Makes a new master password (its SCRAM verifier) the one logins are checked against. */
  setMasterPassword(record: ClusterRecord, verifier: string): Promise<void>;
  /** Stops serving the cluster and deletes its data, after any capture queued on it. */
  destroy(record: ClusterRecord): Promise<void>;
  /** Stops serving every cluster (their data stays for the next start). */
  stopAll(): Promise<void>;
}

/** Runs work one at a time per key, in call order; the work is queued synchronously, before `run` returns. */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
