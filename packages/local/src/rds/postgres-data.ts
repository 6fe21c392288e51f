import { rm } from "node:fs/promises";
import type { AccountRegion } from "@aurora-restore/core/ports/index";
import type { ClusterDataPath } from "./cluster-data";
import { archiveRunningServer, copyRunningServer } from "./consistent-copy";
import { freePort } from "./postgres-server";
import type { ClusterRecord, SnapshotRecord } from "./registry";
import type { ServerFleet } from "./server-fleet";
import type { SnapshotStore } from "./snapshot-store";
import { TarWriter } from "./tar-writer";

const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/**
 * Clusters as real PostgreSQL 17 servers (the embedded default): initdb, a server per cluster, consistent
 * copies of the running server for snapshots and clones, encrypted tar files restored by WAL replay.
 */
export class PostgresDataPath implements ClusterDataPath {
  readonly mode = "postgres" as const;

  constructor(
    readonly fleet: ServerFleet,
    readonly store: SnapshotStore,
  ) {}

  async prepare(): Promise<void> {
    await this.fleet.environment();
  }

  newPort(): Promise<number> {
    return freePort();
  }

  async initialise(record: ClusterRecord, masterVerifier: string): Promise<void> {
    await this.fleet.createClusterDir(record.resourceId);
    await this.fleet.initialise(record, masterVerifier);
  }

  async start(record: ClusterRecord, options: { database?: string } = {}): Promise<void> {
    const server = await this.fleet.running(record);
    const database = options.database;
    if (database !== undefined) {
      await server.admin(async (client) => {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
      });
    }
  }

  snapshot(cluster: ClusterRecord, snapshot: SnapshotRecord): Promise<void> {
    return this.fleet.exclusive(cluster.resourceId, async () => {
      const server = await this.fleet.running(cluster);
      const archive = new TarWriter();
      const sealing = this.store.sealArchive({
        id: snapshot.resourceId,
        archive: archive.stream,
        keyArn: snapshot.kmsKeyId,
        owner: cluster,
      });
      // A refused key or a failed write stops the backup at its next write; its error is the one reported.
      sealing.catch((error: unknown) => archive.abort(asError(error)));
      try {
        await archiveRunningServer(server, archive, `snapshot ${snapshot.identifier}`);
      } catch (error) {
        archive.abort(asError(error));
        throw (
          (await sealing.then(
            () => undefined,
            (sealError: unknown) => sealError,
          )) ?? error
        );
      }
      await sealing;
    });
  }

  async restore(record: ClusterRecord, snapshot: SnapshotRecord, caller: AccountRegion): Promise<void> {
    await this.fleet.createClusterDir(record.resourceId);
    await this.store.unseal({
      id: snapshot.resourceId,
      caller,
      destination: this.fleet.dataDir(record.resourceId),
    });
    await this.fleet.adopt(record.resourceId);
  }

  async discard(record: ClusterRecord): Promise<void> {
    await rm(this.fleet.clusterDir(record.resourceId), { recursive: true, force: true });
  }

  clone(source: ClusterRecord, record: ClusterRecord): Promise<void> {
    return this.fleet.exclusive(source.resourceId, async () => {
      await this.fleet.createClusterDir(record.resourceId);
      const server = await this.fleet.running(source);
      await copyRunningServer(server, this.fleet.dataDir(record.resourceId), `clone ${record.identifier}`);
      await this.fleet.adopt(record.resourceId);
    });
  }

  async setMasterPassword(record: ClusterRecord, verifier: string): Promise<void> {
    const server = await this.fleet.running(record);
    await server.admin(async (client) => {
      await client.query(
        `ALTER ROLE ${client.escapeIdentifier(record.masterUsername)} PASSWORD ${client.escapeLiteral(verifier)}`,
      );
    });
  }

  destroy(record: ClusterRecord): Promise<void> {
    // Queued behind a running backup (a final snapshot), so the server stays up until it is copied.
    return this.fleet.exclusive(record.resourceId, () => this.fleet.destroy(record));
  }

  stopAll(): Promise<void> {
    return this.fleet.stopAll();
  }
}
