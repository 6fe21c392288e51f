import type { AccountRegion, DatabasePort } from "@aurora-restore/core/ports/index";
import { type ClusterDataPath, KeyedQueue } from "./cluster-data";
import { createInstantDatabase } from "./instant-database";
import {
  emptyDatabase,
  type InstantClusterFile,
  type InstantData,
  type InstantManifest,
  type InstantStatement,
  InstantStore,
} from "./instant-store";
import type { ClusterRecord, Registry, SnapshotRecord } from "./registry";
import { SnapshotIntegrityError, type SnapshotStore } from "./snapshot-store";

const manifestContent = "instant-manifest+json" as const;
/** Instant endpoints get ports from here up; nothing listens on them. */
const firstPort = 50_000;

/**
 * Instant clusters: the local RDS's API unchanged (statuses, events, refusals, encrypted snapshots, sharing,
 * re-encrypted copies, timings) with no PostgreSQL data path. A cluster's data is a record of what it
 * holds: roles (passwords as SCRAM verifiers), databases and a table catalogue (each table's row count
 * stands for its rows), kept in `<stateDir>/rds/instant/`. A snapshot is that record as a manifest, encrypted
 * under the snapshot's key like any snapshot file, so copies and restores go through KMS as they would with
 * PostgreSQL. For scale and reliability tests: creating, snapshotting and restoring take milliseconds.
 */
export class InstantDataPath implements ClusterDataPath {
  readonly mode = "instant" as const;
  readonly clusters: InstantStore;
  readonly #serving = new Set<string>();
  readonly #queue = new KeyedQueue();
  #lastPort: number | undefined;

  constructor(
    readonly registry: Registry,
    readonly store: SnapshotStore,
    dir: string,
    readonly now: () => Date,
  ) {
    this.clusters = new InstantStore(dir);
  }

  async prepare(): Promise<void> {}

  async newPort(): Promise<number> {
    // Allocated synchronously, so concurrent creations never share one.
    this.#lastPort ??= Math.max(firstPort - 1, ...this.registry.clusters.map((c) => c.port));
    this.#lastPort += 1;
    return this.#lastPort;
  }

  async initialise(record: ClusterRecord, masterVerifier: string): Promise<void> {
    await this.clusters.put({
      format: "instant-cluster/1",
      resourceId: record.resourceId,
      data: {
        roles: { [record.masterUsername]: { login: true, superuser: true, verifier: masterVerifier } },
        databases: { postgres: emptyDatabase() },
      },
      statements: [],
    });
  }

  async start(record: ClusterRecord, options: { database?: string } = {}): Promise<void> {
    const file = await this.#file(record);
    const database = options.database;
    if (database !== undefined && !Object.hasOwn(file.data.databases, database)) {
      file.data.databases[database] = emptyDatabase();
      await this.clusters.save(record.resourceId);
    }
    this.#serving.add(record.resourceId);
  }

  snapshot(cluster: ClusterRecord, snapshot: SnapshotRecord): Promise<void> {
    return this.#queue.run(cluster.resourceId, async () => {
      const file = await this.#file(cluster);
      const manifest: InstantManifest = {
        format: "instant-snapshot/1",
        source: {
          accountId: cluster.accountId,
          region: cluster.region,
          clusterIdentifier: cluster.identifier,
          resourceId: cluster.resourceId,
        },
        takenAt: this.now().toISOString(),
        masterUsername: cluster.masterUsername,
        data: structuredClone(file.data),
      };
      await this.store.sealBytes({
        id: snapshot.resourceId,
        bytes: Buffer.from(JSON.stringify(manifest), "utf8"),
        content: manifestContent,
        keyArn: snapshot.kmsKeyId,
        owner: cluster,
      });
    });
  }

  async restore(record: ClusterRecord, snapshot: SnapshotRecord, caller: AccountRegion): Promise<void> {
    const bytes = await this.store.openBytes({ id: snapshot.resourceId, caller, content: manifestContent });
    let manifest: InstantManifest;
    try {
      manifest = JSON.parse(bytes.toString("utf8")) as InstantManifest;
    } catch (error) {
      throw new SnapshotIntegrityError(`The manifest of snapshot ${snapshot.identifier} is not JSON`, {
        cause: error,
      });
    }
    if (manifest.format !== "instant-snapshot/1" || !manifest.data?.roles || !manifest.data.databases) {
      throw new SnapshotIntegrityError(
        `Snapshot ${snapshot.identifier} holds no instant-snapshot/1 manifest`,
      );
    }
    await this.clusters.put({
      format: "instant-cluster/1",
      resourceId: record.resourceId,
      data: manifest.data,
      statements: [],
    });
  }

  async discard(record: ClusterRecord): Promise<void> {
    this.#serving.delete(record.resourceId);
    await this.clusters.remove(record.resourceId);
  }

  clone(source: ClusterRecord, record: ClusterRecord): Promise<void> {
    return this.#queue.run(source.resourceId, async () => {
      const file = await this.#file(source);
      await this.clusters.put({
        format: "instant-cluster/1",
        resourceId: record.resourceId,
        data: structuredClone(file.data),
        statements: [],
      });
    });
  }

  async setMasterPassword(record: ClusterRecord, verifier: string): Promise<void> {
    const file = await this.#file(record);
    const master = file.data.roles[record.masterUsername];
    if (master) master.verifier = verifier;
    else file.data.roles[record.masterUsername] = { login: true, superuser: true, verifier };
    await this.clusters.save(record.resourceId);
  }

  destroy(record: ClusterRecord): Promise<void> {
    return this.#queue.run(record.resourceId, async () => {
      this.#serving.delete(record.resourceId);
      await this.clusters.remove(record.resourceId);
    });
  }

  async stopAll(): Promise<void> {
    this.#serving.clear();
  }

  /** The database port: connections reach the instant cluster that serves the endpoint's port. */
  database(): DatabasePort {
    return createInstantDatabase({
      serving: (_host, port) => {
        const record = this.registry.clusters.find(
          (c) => c.port === port && c.dataPath === "instant" && this.#serving.has(c.resourceId),
        );
        const file = record && this.clusters.get(record.resourceId);
        return record && file ? { resourceId: record.resourceId, file } : undefined;
      },
      save: (resourceId) => this.clusters.save(resourceId),
      now: this.now,
    });
  }

  /** What the cluster holds now (roles without their verifiers) and the statements that changed it. */
  describe(record: ClusterRecord): InstantClusterView {
    const file = this.clusters.get(record.resourceId);
    if (!file)
      throw new Error(`Instant cluster ${record.identifier} has no data (is it still being created?)`);
    return viewOf(file);
  }

  /**
   * Loads a catalogue, as loading data would: each table of `tables` (`name` or `schema.name`) gets that
   * many rows, created (owned by the master user) when missing, in `database` (created when missing).
   */
  async seed(record: ClusterRecord, database: string, tables: Record<string, number>): Promise<void> {
    const file = await this.#file(record);
    if (!Object.hasOwn(file.data.databases, database)) file.data.databases[database] = emptyDatabase();
    const db = file.data.databases[database]!;
    for (const [name, rows] of Object.entries(tables)) {
      if (!Number.isSafeInteger(rows) || rows < 0) throw new Error(`${name}: ${rows} is not a row count`);
      const [schema, table] = name.includes(".") ? name.split(".", 2) : ["public", name];
      if (!db.schemas.includes(schema!)) db.schemas.push(schema!);
      const key = `${schema}.${table}`;
      const existing = db.tables[key];
      if (existing) existing.rows = rows;
      else db.tables[key] = { rows, owner: record.masterUsername };
    }
    await this.clusters.save(record.resourceId);
  }

  async #file(record: ClusterRecord): Promise<InstantClusterFile> {
    const file = await this.clusters.load(record.resourceId);
    if (!file) {
      throw new Error(
        `The data of instant cluster ${record.identifier} (${this.clusters.file(record.resourceId)}) is missing`,
      );
    }
    return file;
  }
}

export interface InstantClusterView {
  roles: Record<string, { login: boolean; superuser: boolean; hasPassword: boolean }>;
  databases: InstantData["databases"];
  statements: InstantStatement[];
}

function viewOf(file: InstantClusterFile): InstantClusterView {
  return {
    roles: Object.fromEntries(
      Object.entries(file.data.roles).map(([name, role]) => [
        name,
        { login: role.login, superuser: role.superuser, hasPassword: role.verifier !== undefined },
      ]),
    ),
    databases: structuredClone(file.data.databases),
    statements: structuredClone(file.statements),
  };
}
