import type {
  AccessScope,
  AccountRegion,
  ClusterSnapshot,
  DbCluster,
  RdsPort,
} from "@aurora-restore/core/ports/index";
import type { LocalKms } from "../kms/local-kms";
import type { ClusterMode } from "../rds/cluster-data";
import type { RdsEventEntry } from "../rds/events";
import { type InstantClusters, LocalRds } from "../rds/local-rds";
import type { ResourceChange } from "../rds/resource-changes";
import type { Durations } from "../rds/transitions";

export type LocalRdsTimings = Partial<Durations>;

/** The local RDS as the runtime and the demo use it. */
export interface LocalRdsHandle {
  raw: LocalRds;
  port(scope: AccessScope): RdsPort;
  /** "postgres" (real servers) or "instant" (records, no server: see rds/instant-data.ts). */
  clusters: ClusterMode;
  /** With instant clusters: their database port, what a cluster holds, and loading a table catalogue. */
  instant?: InstantClusters;
  /**
   * PEM of the local CA every cluster's certificate is signed by, and its file (for psql's sslrootcert).
   * Empty with instant clusters: no server, no TLS.
   */
  caPem: string;
  caFile: string;
  createCluster(
    input: AccountRegion & {
      clusterIdentifier: string;
      masterUsername: string;
      masterPassword: string;
      databaseName?: string;
    },
  ): Promise<DbCluster>;
  /** Waits until the cluster is `available` (the demo's own setup, outside the pipeline). */
  waitForCluster(location: AccountRegion, clusterIdentifier: string, timeoutMs?: number): Promise<DbCluster>;
  createAutomatedSnapshot(location: AccountRegion, clusterIdentifier: string): Promise<ClusterSnapshot>;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function createLocalRds(options: {
  stateDir: string;
  kms: LocalKms;
  timings?: LocalRdsTimings;
  clock?: () => Date;
  emit(event: RdsEventEntry): Promise<void>;
  onWarning(message: string): void;
  clusters?: ClusterMode;
  onResourcesChanged?: (changes: ResourceChange[]) => void;
}): Promise<LocalRdsHandle> {
  const rds = new LocalRds({
    stateDir: options.stateDir,
    kms: options.kms,
    emit: options.emit,
    onWarning: options.onWarning,
    ...(options.clusters ? { clusters: options.clusters } : {}),
    ...(options.onResourcesChanged ? { onResourcesChanged: options.onResourcesChanged } : {}),
    ...(options.timings ? { durations: options.timings } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await rds.start();
  const caPem = await rds.caCertificatePem();
  const instant = rds.instant;
  return {
    raw: rds,
    port: (scope) => rds.port({ accountId: scope.accountId, region: scope.region }),
    clusters: rds.clusterMode,
    ...(instant ? { instant } : {}),
    caPem,
    caFile: instant ? "" : rds.caCertificatePath(),
    createCluster: (input) => rds.createCluster(input),
    async waitForCluster(location, clusterIdentifier, timeoutMs = 120_000) {
      const port = rds.port(location);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const cluster = await port.describeCluster(clusterIdentifier);
        if (cluster.status === "available") return cluster;
        if (Date.now() > deadline) {
          throw new Error(
            `Cluster ${clusterIdentifier} is still ${cluster.status} after ${timeoutMs / 1000} s`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    createAutomatedSnapshot: (location, clusterIdentifier) =>
      rds.createAutomatedSnapshot({ ...location, clusterIdentifier }),
    idle: () => rds.idle(),
    stop: () => rds.stop(),
  };
}
