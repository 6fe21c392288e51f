import { mkdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { ensurePrivateDir } from "../state-dir";
import { freePort, loadPostgresBinaries, type PostgresBinaries, PostgresServer } from "./postgres-server";
import {
  allowTraversal,
  assertProgramsReachable,
  chownTree,
  resolveServerAccount,
  type ServerAccount,
} from "./processes";
import type { ClusterRecord } from "./registry";
import { stopOrphanServers } from "./server-guard";
import { ensureLocalCa, type TlsFiles, tlsFiles } from "./tls";

interface Environment {
  account: ServerAccount;
  binaries: PostgresBinaries;
  tls: TlsFiles;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/**
 * The PostgreSQL servers behind the local clusters, one per cluster resource id, with data in
 * `<stateDir>/rds/clusters/<resourceId>/data`. Work that needs a cluster's server to stay up (a backup) and
 * work that stops it run one at a time per cluster.
 */
export class ServerFleet {
  readonly #servers = new Map<string, PostgresServer>();
  readonly #locks = new Map<string, Promise<unknown>>();
  #environment: Promise<Environment> | undefined;

  constructor(
    readonly stateDir: string,
    readonly rdsDir: string,
  ) {}

  get tlsDir(): string {
    return join(this.rdsDir, "tls");
  }

  get caCertificatePath(): string {
    return tlsFiles(this.tlsDir).caCertificate;
  }

  clusterDir(resourceId: string): string {
    return join(this.rdsDir, "clusters", resourceId);
  }

  dataDir(resourceId: string): string {
    return join(this.clusterDir(resourceId), "data");
  }

  /** The server account, binaries and TLS files; prepared once (the CA is generated on first use). */
  environment(): Promise<Environment> {
    this.#environment ??= (async () => {
      const account = await resolveServerAccount();
      const rds = await ensurePrivateDir(this.stateDir, "rds");
      await ensurePrivateDir(rds, "tls");
      await ensurePrivateDir(rds, "clusters");
      // Servers a dead process left running (its watchdog did not get to them) are stopped; running() restarts.
      await stopOrphanServers(join(rds, "clusters"));
      await this.#allowServerTraversal(account);
      const tls = await ensureLocalCa(this.tlsDir, account);
      const binaries = await loadPostgresBinaries();
      await assertProgramsReachable(dirname(binaries.initdb), account);
      return { account, binaries, tls };
    })();
    this.#environment.catch(() => {
      this.#environment = undefined;
    });
    return this.#environment;
  }

  /**
   * Run as root, the servers' account must pass through the state folders (another component may have
   * re-tightened them to 0700 since), so this is re-applied before each start.
   */
  #allowServerTraversal(account: ServerAccount): Promise<void> {
    const dirs = [this.stateDir, this.rdsDir, this.tlsDir, join(this.rdsDir, "clusters")];
    return allowTraversal(this.stateDir, dirs, account);
  }

  async #server(record: ClusterRecord): Promise<PostgresServer> {
    let server = this.#servers.get(record.resourceId);
    if (!server) {
      const env = await this.environment();
      server = new PostgresServer({
        dataDir: this.dataDir(record.resourceId),
        logFile: join(this.clusterDir(record.resourceId), "postgres.log"),
        masterUsername: record.masterUsername,
        account: env.account,
        tls: env.tls,
        binaries: env.binaries,
      });
      this.#servers.set(record.resourceId, server);
    }
    return server;
  }

  /** A new cluster folder for the server's account, ready for initdb or a restore. */
  async createClusterDir(resourceId: string): Promise<string> {
    const env = await this.environment();
    const dir = this.clusterDir(resourceId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chownTree(dir, env.account);
    return dir;
  }

  async initialise(record: ClusterRecord, passwordVerifier: string): Promise<void> {
    const server = await this.#server(record);
    await PostgresServer.initialise(server.options, passwordVerifier);
  }

  /** Hands a data directory filled by this process (a restore or a clone) to the server's account. */
  async adopt(resourceId: string): Promise<void> {
    await chownTree(this.clusterDir(resourceId), (await this.environment()).account);
  }

  /**
   * The cluster's running server, started when needed on its port; if another program took that port
   * meanwhile, on a new one (recorded in `record.port`, as the endpoint would change in AWS).
   */
  async running(record: ClusterRecord): Promise<PostgresServer> {
    const server = await this.#server(record);
    if (server.port !== undefined && (await server.isRunning())) return server;
    // A server left running by a process that crashed holds the port: stop it first.
    await server.stop();
    if (!(await portIsFree(record.port))) record.port = await freePort();
    await this.#allowServerTraversal((await this.environment()).account);
    await server.start(record.port);
    return server;
  }

  async stop(resourceId: string): Promise<void> {
    await this.#servers.get(resourceId)?.stop();
  }

  /** Stops the server (even one left running by a crashed process) and deletes the cluster's folder. */
  async destroy(record: ClusterRecord): Promise<void> {
    const server = await this.#server(record);
    await server.stop();
    this.#servers.delete(record.resourceId);
    await rm(this.clusterDir(record.resourceId), { recursive: true, force: true });
  }

  async stopAll(): Promise<void> {
    const servers = [...this.#servers.values()];
    const results = await Promise.allSettled(servers.map((server) => server.stop()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** Runs `work` once earlier exclusive work on this cluster has finished. */
  exclusive<T>(resourceId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(resourceId) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.#locks.set(resourceId, tail);
    void tail.then(() => {
      if (this.#locks.get(resourceId) === tail) this.#locks.delete(resourceId);
    });
    return result;
  }
}
