import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type {
  AccountRegion,
  ClusterSnapshot,
  DatabasePort,
  DbCluster,
  RdsPort,
} from "@aurora-restore/core/ports/index";
import type { LocalKms } from "../kms/local-kms";
import { resumeCluster } from "./cluster-changes";
import { createCluster } from "./cluster-creation";
import type { ClusterDataPath, ClusterMode } from "./cluster-data";
import { findCluster } from "./cluster-lookup";
import type { RdsContext } from "./context";
import { type RdsEventEntry, rdsEvent } from "./events";
import {
  completeInstanceCreation,
  completeInstanceDeletion,
  completeInstanceRename,
} from "./instance-operations";
import { type InstantClusterView, InstantDataPath } from "./instant-data";
import { createRdsPort } from "./port";
import { PostgresDataPath } from "./postgres-data";
import { Registry } from "./registry";
import { type ResourceChange, ResourceChangeDetector } from "./resource-changes";
import { ServerFleet } from "./server-fleet";
import { completeSnapshotDeletion, createAutomatedSnapshot } from "./snapshot-operations";
import { resumeCopy } from "./snapshot-sharing";
import { SnapshotStore } from "./snapshot-store";
import { type DurationKind, type Durations, Transitions } from "./transitions";

export interface LocalRdsOptions {
  stateDir: string;
  kms: LocalKms;
  /** Delivers RDS events (e.g. onto the local default bus of the event's account and region). */
  emit: (event: RdsEventEntry) => Promise<void>;
  /** Simulated durations in ms (defaults 100–300 ms). */
  durations?: Partial<Durations>;
  clock?: () => Date;
  /** Replaces the simulated waits (tests use it to decide when a transition proceeds). */
  delay?: (ms: number, kind: DurationKind) => Promise<void>;
  /** Background failures and undelivered events (default: console.warn). Messages never contain secrets. */
  onWarning?: (message: string) => void;
  /**
   * "postgres" (default): each cluster is a real PostgreSQL server. "instant": no server and no data copied;
   * a cluster is a record of its roles and table catalogue, with the same API (see instant-data.ts).
   */
  clusters?: ClusterMode;
  /**
   * Told of every change of a resource's status or name, and of resources that are gone, as the registry is
   * written (in process, synchronously: keep it short). Not an RDS event: AWS has none for most of these.
   */
  onResourcesChanged?: (changes: ResourceChange[]) => void;
}

/** Instant clusters' own API: their database port, what a cluster holds, and loading a catalogue. */
export interface InstantClusters {
  /** Logins and statements against instant clusters (the DatabasePort the stages get in instant mode). */
  database: DatabasePort;
  describe(location: AccountRegion, clusterIdentifier: string): InstantClusterView;
  /** Sets tables' row counts in a database of the cluster (creating them), as loading data would. */
  seed(
    input: AccountRegion & { clusterIdentifier: string; database: string; tables: Record<string, number> },
  ): Promise<void>;
}

const base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/**
 * RDS on this machine: each cluster is a real PostgreSQL 17 server on 127.0.0.1 (TLS with a local CA,
 * scram-sha-256), snapshots are consistent copies encrypted with the local KMS, and every account and region
 * is a namespace. State lives in `<stateDir>/rds/`; clusters survive a restart of the process (`start()`).
 * With `clusters: "instant"` the same API runs with no server at all (instant-data.ts).
 */
export class LocalRds {
  readonly #ctx: RdsContext;
  readonly #fleet: ServerFleet;
  readonly #data: ClusterDataPath;
  readonly #instant: InstantDataPath | undefined;
  readonly #transitions: Transitions;
  readonly #registry: Registry;
  #loaded: Promise<void> | undefined;

  constructor(options: LocalRdsOptions) {
    const rdsDir = join(options.stateDir, "rds");
    const warn = options.onWarning ?? ((message: string) => console.warn(`[local-rds] ${message}`));
    const clock = options.clock ?? (() => new Date());
    const changes = new ResourceChangeDetector();
    const onChanged = options.onResourcesChanged;
    this.#registry = new Registry(
      rdsDir,
      onChanged &&
        ((registry) => {
          const found = changes.scan(registry);
          if (found.length === 0) return;
          try {
            onChanged(found);
          } catch (error) {
            warn(
              `a listener of resource changes failed: ${error instanceof Error ? error.message : String(error)}`,
            );
          }
        }),
    );
    this.#fleet = new ServerFleet(options.stateDir, rdsDir);
    this.#transitions = new Transitions({
      ...(options.durations ? { durations: options.durations } : {}),
      ...(options.delay ? { delay: options.delay } : {}),
      onError: (what, error) =>
        warn(`${what} failed: ${error instanceof Error ? error.message : String(error)}`),
    });
    const registry = this.#registry;
    const store = new SnapshotStore(join(rdsDir, "snapshots"), join(rdsDir, "work"), options.kms);
    this.#instant =
      options.clusters === "instant"
        ? new InstantDataPath(registry, store, join(rdsDir, "instant"), clock)
        : undefined;
    this.#data = this.#instant ?? new PostgresDataPath(this.#fleet, store);
    this.#ctx = {
      registry,
      data: this.#data,
      store,
      kms: options.kms,
      transitions: this.#transitions,
      now: clock,
      emit: async (eventId, source, values) => {
        const event = rdsEvent({
          eventId,
          location: source.location,
          sourceArn: source.arn,
          sourceIdentifier: source.identifier,
          time: clock(),
          ...(values ? { values } : {}),
        });
        try {
          await options.emit(event);
        } catch (error) {
          warn(
            `RDS event ${eventId} for ${source.arn} was not delivered: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      },
      ready: () => {
        this.#loaded ??= registry.load();
        this.#loaded.catch(() => {
          this.#loaded = undefined;
        });
        return this.#loaded;
      },
      warn,
      newResourceId: (prefix) => `${prefix}-${[...randomBytes(26)].map((b) => base32[b % 32]).join("")}`,
    };
  }

  /** The RDS port for one account and region. */
  port(location: AccountRegion): RdsPort {
    return createRdsPort(this.#ctx, location);
  }

  /** A new cluster with an empty database (what the demo uses as "production"). */
  createCluster(
    input: AccountRegion & {
      clusterIdentifier: string;
      masterUsername: string;
      masterPassword: string;
      kmsKeyId?: string;
      databaseName?: string;
    },
  ): Promise<DbCluster> {
    return createCluster(this.#ctx, input);
  }

  /** What the backup window does in AWS: `rds:<cluster>-YYYY-MM-DD-HH-MM` under the cluster's key (events 0168/0169). */
  createAutomatedSnapshot(input: AccountRegion & { clusterIdentifier: string }): Promise<ClusterSnapshot> {
    return createAutomatedSnapshot(
      this.#ctx,
      { accountId: input.accountId, region: input.region },
      input.clusterIdentifier,
    );
  }

  /** Whether clusters are PostgreSQL servers or instant records. */
  get clusterMode(): ClusterMode {
    return this.#data.mode;
  }

  /** Instant clusters' database port and helpers; undefined when clusters are PostgreSQL servers. */
  get instant(): InstantClusters | undefined {
    const instant = this.#instant;
    if (!instant) return undefined;
    const ctx = this.#ctx;
    return {
      database: instant.database(),
      describe: (location, clusterIdentifier) =>
        instant.describe(findCluster(ctx, location, clusterIdentifier)),
      seed: async (input) => {
        await ctx.ready();
        const record = findCluster(ctx, input, input.clusterIdentifier);
        await instant.seed(record, input.database, input.tables);
      },
    };
  }

  /** The local CA's certificate file: clients verify the servers against it (none with instant clusters). */
  caCertificatePath(): string {
    return this.#fleet.caCertificatePath;
  }

  /** The local CA's certificate (PEM), generated on first use; instant clusters have none (empty). */
  async caCertificatePem(): Promise<string> {
    if (this.#instant) return "";
    await this.#fleet.environment();
    return readFile(this.#fleet.caCertificatePath, "utf8");
  }

  /**
   * Starts the servers of the clusters in the state folder and resumes the transitions a previous process left
   * pending (a copy starts over from its source); work that cannot be resumed (a snapshot cut short) ends
   * 'failed'.
   */
  async start(): Promise<void> {
    await this.#ctx.ready();
    const registry = this.#registry;
    const other = [...registry.clusters, ...registry.snapshots].find(
      (r) => (r.dataPath === "instant" ? "instant" : "postgres") !== this.#data.mode,
    );
    if (other) {
      throw new Error(
        `${registry.file} holds ${this.#data.mode === "instant" ? "PostgreSQL" : "instant"} ${"port" in other ? "cluster" : "snapshot"} ${other.identifier}, and this local RDS runs ${this.#data.mode} clusters: start it with clusters: "${this.#data.mode === "instant" ? "postgres" : "instant"}", or use another state folder`,
      );
    }
    this.#transitions.reopen();
    await this.#data.prepare();
    for (const cluster of [...registry.clusters]) await resumeCluster(this.#ctx, cluster);
    for (const instance of registry.instances) {
      const resume = {
        creating: completeInstanceCreation,
        renaming: completeInstanceRename,
        deleting: completeInstanceDeletion,
      }[instance.status];
      if (resume)
        this.#transitions.run(`resume instance ${instance.identifier}`, () => resume(this.#ctx, instance));
    }
    for (const snapshot of registry.snapshots) {
      if (snapshot.status === "copying" && !resumeCopy(this.#ctx, snapshot)) snapshot.status = "failed";
      if (snapshot.status === "creating") snapshot.status = "failed";
      if (snapshot.status === "deleting") {
        this.#transitions.run(`resume deletion of ${snapshot.identifier}`, () =>
          completeSnapshotDeletion(this.#ctx, snapshot),
        );
      }
    }
    await registry.save();
  }

  /** Interrupts pending simulated waits (resumed by the next start()) and stops every server; idempotent. */
  async stop(): Promise<void> {
    await this.#transitions.shutdown();
    await this.#data.stopAll();
  }

  /** Resolves when no status transition is pending. */
  idle(): Promise<void> {
    return this.#transitions.idle();
  }
}
