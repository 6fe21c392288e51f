import { rm } from "node:fs/promises";
import { join } from "node:path";
import { readJsonFile, SerialQueue, writeJsonFileAtomic } from "../state-dir";

/** A role of an instant cluster: what PostgreSQL's pg_authid would hold (the password as a SCRAM verifier). */
export interface InstantRole {
  login: boolean;
  superuser: boolean;
  verifier?: string;
}

/** A table of the catalogue: its row count stands for its data. */
export interface InstantTable {
  rows: number;
  owner: string;
}

/** One privilege granted: on `database:<name>`, `schema:<name>` or `table:<schema>.<name>`. */
export interface InstantGrant {
  role: string;
  privilege: string;
  object: string;
}

export interface InstantDatabase {
  schemas: string[];
  /** By `schema.table` (as PostgreSQL folds names: unquoted lower case). */
  tables: Record<string, InstantTable>;
  grants: InstantGrant[];
}

/** What an instant cluster holds, and what its snapshots carry: roles, databases and their catalogues. */
export interface InstantData {
  roles: Record<string, InstantRole>;
  databases: Record<string, InstantDatabase>;
}

/** A statement that changed something (queries are not recorded); role passwords are never in `text`. */
export interface InstantStatement {
  at: string;
  user: string;
  database: string;
  kind: string;
  text: string;
  rowCount: number;
}

export interface InstantClusterFile {
  format: "instant-cluster/1";
  resourceId: string;
  data: InstantData;
  /** What ran on this cluster since it was created or restored (not carried by snapshots). */
  statements: InstantStatement[];
}

/** The manifest an instant cluster's snapshot holds (encrypted like any snapshot file). */
export interface InstantManifest {
  format: "instant-snapshot/1";
  source: { accountId: string; region: string; clusterIdentifier: string; resourceId: string };
  takenAt: string;
  masterUsername: string;
  data: InstantData;
}

export function emptyDatabase(): InstantDatabase {
  return { schemas: ["public"], tables: {}, grants: [] };
}

/**
 * The instant clusters' data, in memory and in `<stateDir>/rds/instant/<resourceId>.json` (0600, written
 * atomically, in order per cluster). Changes are made to the in-memory file and then saved.
 */
export class InstantStore {
  readonly #files = new Map<string, InstantClusterFile>();
  readonly #writes = new Map<string, SerialQueue>();
  readonly #queued = new Map<string, Promise<void>>();

  constructor(readonly dir: string) {}

  file(resourceId: string): string {
    return join(this.dir, `${resourceId}.json`);
  }

  /** The cluster's data in memory (loaded by `load`), or undefined. */
  get(resourceId: string): InstantClusterFile | undefined {
    return this.#files.get(resourceId);
  }

  async load(resourceId: string): Promise<InstantClusterFile | undefined> {
    const cached = this.#files.get(resourceId);
    if (cached) return cached;
    const stored = await readJsonFile<InstantClusterFile>(this.file(resourceId));
    if (stored && stored.format !== "instant-cluster/1") {
      throw new Error(`${this.file(resourceId)} is not an instant cluster file (instant-cluster/1)`);
    }
    if (stored && !this.#files.has(resourceId)) this.#files.set(resourceId, stored);
    return this.#files.get(resourceId);
  }

  async put(file: InstantClusterFile): Promise<void> {
    this.#files.set(file.resourceId, file);
    await this.save(file.resourceId);
  }

  /**
   * Writes the cluster's in-memory state as it is when the write starts; calls made while a write waits its
   * turn share it. Resolves once that write has finished.
   */
  save(resourceId: string): Promise<void> {
    const queued = this.#queued.get(resourceId);
    if (queued) return queued;
    const write = this.#queue(resourceId).run(async () => {
      this.#queued.delete(resourceId);
      const current = this.#files.get(resourceId);
      if (current) await writeJsonFileAtomic(this.file(resourceId), current);
    });
    this.#queued.set(resourceId, write);
    return write;
  }

  async remove(resourceId: string): Promise<void> {
    this.#files.delete(resourceId);
    await this.#queue(resourceId).run(() => rm(this.file(resourceId), { force: true }));
    this.#writes.delete(resourceId);
  }

  #queue(resourceId: string): SerialQueue {
    let queue = this.#writes.get(resourceId);
    if (!queue) {
      queue = new SerialQueue();
      this.#writes.set(resourceId, queue);
    }
    return queue;
  }
}
