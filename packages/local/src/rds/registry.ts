import { join } from "node:path";
import type { AccountRegion, ClusterSettings, InstanceSettings } from "@aurora-restore/core/ports/index";
import { readJsonFile, SerialQueue, writeJsonFileAtomic } from "../state-dir";

export interface ClusterRecord extends AccountRegion {
  /** Stable id (like AWS's DbClusterResourceId); names the data folder, survives renames. */
  resourceId: string;
  identifier: string;
  /** Set while renaming: the name it will take (reserved meanwhile). */
  pendingIdentifier?: string;
  status: string;
  engine: string;
  engineVersion: string;
  port: number;
  masterUsername: string;
  kmsKeyId: string;
  createdAt: string;
  /** True once the data directory is complete (initdb or restore finished). */
  dataReady: boolean;
  /** A master password change waiting to take effect: its SCRAM verifier, never the password. */
  pendingPasswordVerifier?: string;
  /** Set for an instant cluster (a record with no PostgreSQL server; see instant-data.ts). */
  dataPath?: "instant";
  tags?: Record<string, string>;
  /** What the cluster was created or modified with (tags are the field above). */
  settings?: Omit<ClusterSettings, "tags">;
}

export interface InstanceRecord extends AccountRegion {
  resourceId: string;
  identifier: string;
  pendingIdentifier?: string;
  clusterResourceId: string;
  instanceClass: string;
  engine: string;
  status: string;
  createdAt: string;
  tags?: Record<string, string>;
  settings?: Omit<InstanceSettings, "tags">;
}

export interface SnapshotRecord extends AccountRegion {
  /** Names the encrypted file; a copy has its own. */
  resourceId: string;
  identifier: string;
  clusterIdentifier: string;
  type: "automated" | "manual";
  status: string;
  kmsKeyId: string;
  engine: string;
  engineVersion: string;
  masterUsername: string;
  createdAt: string;
  sharedWith: string[];
  /** For a copy: the source snapshot's ARN. */
  sourceArn?: string;
  /** Set when the snapshot is of an instant cluster (an encrypted manifest, no data directory). */
  dataPath?: "instant";
  tags?: Record<string, string>;
}

interface RegistryFile {
  version: 1;
  clusters: ClusterRecord[];
  instances: InstanceRecord[];
  snapshots: SnapshotRecord[];
}

/**
 * Clusters, instances and snapshots with their statuses, kept in memory and written to
 * `<stateDir>/rds/registry.json` (0600, atomically, in order) after every change.
 */
export class Registry {
  readonly file: string;
  clusters: ClusterRecord[] = [];
  instances: InstanceRecord[] = [];
  snapshots: SnapshotRecord[] = [];
  readonly #writes = new SerialQueue();
  /** A write waiting for its turn (not started yet). */
  #queued: Promise<void> | undefined;

  /** `onWrite` looks at the registry as each write starts (resource-changes.ts); it must not throw. */
  constructor(
    rdsDir: string,
    private readonly onWrite?: (registry: Registry) => void,
  ) {
    this.file = join(rdsDir, "registry.json");
  }

  async load(): Promise<void> {
    const stored = await readJsonFile<RegistryFile>(this.file);
    if (stored && stored.version !== 1) {
      throw new Error(`${this.file} has version ${String(stored.version)}; this local RDS reads version 1`);
    }
    this.clusters = stored?.clusters ?? [];
    this.instances = stored?.instances ?? [];
    this.snapshots = stored?.snapshots ?? [];
  }

  /**
   * Persists the current state: resolves once a write that started after this call has finished. Writes run
   * one at a time, each one the whole registry as it is when the write starts, so calls made while a write
   * waits its turn share it (under load, dozens of changes cost one write).
   */
  save(): Promise<void> {
    this.#queued ??= this.#writes.run(() => {
      this.#queued = undefined;
      this.onWrite?.(this);
      const contents: RegistryFile = {
        version: 1,
        clusters: structuredClone(this.clusters),
        instances: structuredClone(this.instances),
        snapshots: structuredClone(this.snapshots),
      };
      return writeJsonFileAtomic(this.file, contents);
    });
    return this.#queued;
  }

  cluster(location: AccountRegion, identifier: string): ClusterRecord | undefined {
    return this.clusters.find((c) => sameLocation(c, location) && c.identifier === identifier);
  }

  /** Whether a cluster holds or is about to take this name. */
  clusterNameTaken(location: AccountRegion, identifier: string): boolean {
    return this.clusters.some(
      (c) => sameLocation(c, location) && (c.identifier === identifier || c.pendingIdentifier === identifier),
    );
  }

  instance(location: AccountRegion, identifier: string): InstanceRecord | undefined {
    return this.instances.find((i) => sameLocation(i, location) && i.identifier === identifier);
  }

  instanceNameTaken(location: AccountRegion, identifier: string): boolean {
    return this.instances.some(
      (i) => sameLocation(i, location) && (i.identifier === identifier || i.pendingIdentifier === identifier),
    );
  }

  instancesOf(cluster: ClusterRecord): InstanceRecord[] {
    return this.instances.filter((i) => i.clusterResourceId === cluster.resourceId);
  }

  snapshot(location: AccountRegion, identifier: string): SnapshotRecord | undefined {
    return this.snapshots.find((s) => sameLocation(s, location) && s.identifier === identifier);
  }

  remove<T>(list: T[], item: T): void {
    const index = list.indexOf(item);
    if (index >= 0) list.splice(index, 1);
  }
}

export function sameLocation(a: AccountRegion, b: AccountRegion): boolean {
  return a.accountId === b.accountId && a.region === b.region;
}
