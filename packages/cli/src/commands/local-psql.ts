import { spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { delimiter, join } from "node:path";
import type { LocalRuntime } from "@aurora-restore/local/runtime/start-local-runtime";
import { type Command, escapeControl, UsageError } from "../io";
import { leaveSigintToChild, onStopSignal } from "../stop-signals";
import { stateDirOption } from "./common-options";
import { clusterLocationOptions, clusterPlace, namedCluster } from "./local-cluster-option";
import { stringFlag } from "./option-values";
import { existingStateDir } from "./state-dir-option";

/** The executable `name` on PATH, if any. */
export function findOnPath(name: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A libpq connection string value, quoted: spaces, quotes or backslashes in a path cannot add a parameter. */
const conninfoValue = (value: string) => `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/** PostgreSQL names as the CLI takes them: no spaces, quotes or control characters. */
const sqlNamePattern = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

function nameFlag(parsed: Parameters<Command["run"]>[0], flag: string): string | undefined {
  const value = stringFlag(parsed, flag);
  if (value !== undefined && !sqlNamePattern.test(value)) {
    throw new UsageError(
      `--${flag} must be a PostgreSQL name: letters, digits, _, $ or -, at most 63 (got '${escapeControl(value)}')`,
    );
  }
  return value;
}

export const localPsqlCommand: Command = {
  path: ["local", "psql"],
  summary: "Connect to a local cluster with psql over verified TLS (or print how to)",
  operands: "<cluster> [psql-args...]",
  options: [
    { flags: "--user <name>", description: "the user to log in as (default: the cluster's master user)" },
    { flags: "--database <name>", description: "the database (default: the plan's, else postgres)" },
    ...clusterLocationOptions,
    stateDirOption,
  ],
  details: [
    "With psql on PATH, runs it with sslmode=verify-full against the local CA; the user's password, read from",
    "its local secret, reaches psql only through its PGPASSWORD environment variable. Arguments after --",
    "go to psql. Without a 'local up' running, the clusters' servers start for the session and stop when psql",
    "ends. Without psql, prints the connection string and the command that prints the password (never the",
    "password itself).",
  ].join("\n"),
  examples: [
    "aurora-restore local psql staging-db --user app_reader",
    "aurora-restore local psql staging-db --user app_reader -- -c 'SELECT count(*) FROM customers'",
  ],
  async run(parsed, io) {
    const user = nameFlag(parsed, "user");
    const databaseFlag = nameFlag(parsed, "database");
    const stateDir = await existingStateDir(parsed);
    const cluster = await namedCluster(parsed, stateDir);
    if (cluster.kind === "instant") {
      throw new UsageError(
        `${escapeControl(clusterPlace(cluster))} is an instant cluster: it has no PostgreSQL server`,
      );
    }
    const { LocalKms } = await import("@aurora-restore/local/kms/local-kms");
    const { knownLogins, readLoginPassword } = await import("@aurora-restore/local/runtime/cluster-logins");
    const { PlanRegistry } = await import("@aurora-restore/local/runtime/plan-registry");
    const { LocalSecretsManager } = await import("@aurora-restore/local/secrets/local-secrets");
    const { currentLockHolder } = await import("@aurora-restore/local/state-lock");
    const { tlsFiles } = await import("@aurora-restore/local/rds/tls");
    const username = user ?? cluster.masterUsername;
    const logins = knownLogins(cluster, await new PlanRegistry(stateDir).list());
    const login = logins.find((l) => l.username === username);
    const database = databaseFlag ?? login?.database ?? "postgres";
    const caFile = tlsFiles(join(stateDir, "rds", "tls")).caCertificate;
    const conninfo = (port: number) =>
      [
        "host=127.0.0.1",
        `port=${port}`,
        `dbname=${database}`,
        `user=${username}`,
        "sslmode=verify-full",
        `sslrootcert=${conninfoValue(caFile)}`,
      ].join(" ");
    const holder = await currentLockHolder(stateDir);
    const serversUp = holder?.role === "runtime";
    const noSecret = `no secret is known for user ${username} on ${clusterPlace(cluster)}${logins.length > 0 ? ` (known users: ${logins.map((l) => l.username).join(", ")})` : ""}`;
    const psql = findOnPath("psql");
    if (!psql) {
      const { localPipelineLocation } = await import("@aurora-restore/local/runtime/pipeline-location");
      const elsewhere =
        cluster.accountId === localPipelineLocation.accountId &&
        cluster.region === localPipelineLocation.region
          ? ""
          : ` --account ${cluster.accountId} --region ${cluster.region}`;
      io.stdout.write(`${escapeControl(`psql "${conninfo(cluster.port)}"`)}\n`);
      io.stdout.write(
        login
          ? `${escapeControl(`password: aurora-restore local secret get ${login.secretName}${elsewhere} --field password`)}\n`
          : `${escapeControl(`password: ${noSecret}`)}\n`,
      );
      io.stderr.write(
        "psql is not on PATH: install the PostgreSQL client, or use the connection string above.\n",
      );
      if (!serversUp) {
        io.stderr.write(
          "No local runtime runs, so the cluster's server is down: start 'aurora-restore local up' first.\n",
        );
      }
      return 0;
    }
    const secrets = new LocalSecretsManager({ stateDir, kms: new LocalKms({ stateDir }) });
    const password = login ? await readLoginPassword(secrets, cluster, login) : undefined;
    if (password === undefined) {
      const why = login ? `the secret ${login.secretName} holds no password yet` : noSecret;
      io.stderr.write(`${escapeControl(why)}: psql will ask for the password\n`);
    }
    let runtime: LocalRuntime | undefined;
    let child: ReturnType<typeof spawn> | undefined;
    // SIGTERM, SIGHUP (and Ctrl-C before psql runs): psql and the servers started here stop.
    const removeStopper = onStopSignal(async (signal) => {
      child?.kill(signal);
      await runtime?.stop();
      return undefined;
    });
    let giveBackSigint: () => void = () => undefined;
    try {
      let port = cluster.port;
      if (!serversUp) {
        io.stderr.write(
          "No 'local up' runs: starting the local clusters for this session; they stop when psql ends.\n",
        );
        const { startLocalRuntime } = await import("@aurora-restore/local/runtime/start-local-runtime");
        runtime = await startLocalRuntime({ stateDir });
        port = (await runtime.rds.port(cluster).describeCluster(cluster.identifier)).port ?? port;
      }
      const started = spawn(psql, [conninfo(port), ...parsed.positionals.slice(1)], {
        stdio: "inherit",
        // The password goes to this child only, never onto a command line or the screen.
        env: { ...process.env, ...(password === undefined ? {} : { PGPASSWORD: password }) },
      });
      child = started;
      giveBackSigint = leaveSigintToChild();
      return await new Promise<number>((resolve) => {
        // psql's own status; killed by a signal, the shell's 128 + its number.
        started.on("exit", (code, signal) =>
          resolve(code ?? 128 + (signal ? osConstants.signals[signal] : 0)),
        );
        started.on("error", () => resolve(1));
      });
    } finally {
      giveBackSigint();
      removeStopper();
      await runtime?.stop();
    }
  },
};
