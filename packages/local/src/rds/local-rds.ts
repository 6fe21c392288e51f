import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { AccountRegion, ClusterSnapshot, DbCluster, RdsPort } from "@aurora-restore/core/ports/index";
import type { LocalKms } from "../kms/local-kms";
import { resumeCluster } from "./cluster-changes";
import { createCluster } from "./cluster-creation";
import type { RdsContext } from "./context";
import { type RdsEvent, rdsEvent } from "./events";
import {
  completeInstanceCreation,
  completeInstanceDeletion,
  completeInstanceRename,
} from "./instance-operations";
import { createRdsPort } from "./port";
import { Registry } from "./registry";
import { ServerFleet } from "./server-fleet";
import { completeSnapshotDeletion, createAutomatedSnapshot } from "./snapshot-operations";
import { SnapshotStore } from "./snapshot-store";
import { type DurationKind, type Durations, Transitions } from "./transitions";

export interface LocalRdsOptions {
  stateDir: string;
  kms: LocalKms;
  /** Delivers RDS events (e.g. onto the local default bus of the event's account and region). */
  emit: (event: RdsEvent) => Promise<void>;
  /** Simulated durations in ms (defaults 100–300 ms). */
  durations?: Partial<Durations>;
  clock?: () => Date;
  /** Replaces the simulated waits (tests use it to decide when a transition proceeds). */
  delay?: (ms: number, kind: DurationKind) => Promise<void>;
  /** Background failures and undelivered events (default: console.warn). Messages never contain secrets. */
  onWarning?: (message: string) => void;
}

const base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/**
 * RDS on this machine: each cluster is a real PostgreSQL 17 server on 127.0.0.1 (TLS with a local CA,
 * scram-sha-256), snapshots are consistent copies encrypted with the local KMS, and every account and region
 * is a namespace. State lives in `<stateDir>/rds/`; clusters survive a restart of the process (`start()`).
 */
export class LocalRds {
  readonly #ctx: RdsContext;
  readonly #fleet: ServerFleet;
  readonly #transitions: Transitions;
  readonly #registry: Registry;
  #loaded: Promise<void> | undefined;

  constructor(options: LocalRdsOptions) {
    const rdsDir = join(options.stateDir, "rds");
    const warn = options.onWarning ?? ((message: string) => console.warn(`[local-rds] ${message}`));
    const clock = options.clock ?? (() => new Date());
    this.#registry = new Registry(rdsDir);
    this.#fleet = new ServerFleet(options.stateDir, rdsDir);
    this.#transitions = new Transitions({
      ...(options.durations ? { durations: options.durations } : {}),
      ...(options.delay ? { delay: options.delay } : {}),
      onError: (what, error) =>
        warn(`${what} failed: ${error instanceof Error ? error.message : String(error)}`),
    });
    const registry = this.#registry;
    this.#ctx = {
      registry,
      fleet: this.#fleet,
      store: new SnapshotStore(join(rdsDir, "snapshots"), join(rdsDir, "work"), options.kms),
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

  /** The local CA's certificate file: clients verify the servers against it. */
  caCertificatePath(): string {
    return this.#fleet.caCertificatePath;
  }

  /** The local CA's certificate (PEM), generated on first use. */
  async caCertificatePem(): Promise<string> {
    await this.#fleet.environment();
    return readFile(this.#fleet.caCertificatePath, "utf8");
  }

  /**
   * Starts the servers of the clusters in the state folder and resumes the transitions a previous process left
   * pending; work that cannot be resumed (a snapshot or copy cut short) ends 'failed'.
   */
  async start(): Promise<void> {
    await this.#ctx.ready();
    this.#transitions.reopen();
    await this.#fleet.environment();
    const registry = this.#registry;
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
      if (snapshot.status === "creating" || snapshot.status === "copying") snapshot.status = "failed";
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
    await this.#fleet.stopAll();
  }

  /** Resolves when no status transition is pending. */
  idle(): Promise<void> {
    return this.#transitions.idle();
  }
}
