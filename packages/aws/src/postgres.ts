import type { DatabasePort, DbEndpoint, DbSession } from "@aurora-restore/core/ports/index";
import pg from "pg";
import { redact } from "./errors";

/** The part of pg's Client a session uses (a seam for unit tests). */
export interface PgClientLike {
  connect(): Promise<unknown>;
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  end(): Promise<unknown>;
  on(event: "error", listener: (error: Error) => void): unknown;
  escapeIdentifier(value: string): string;
  escapeLiteral(value: string): string;
}

export interface PgDatabaseOptions {
  /** PEM bundle to trust; by default Node's trust store (in Lambda: NODE_EXTRA_CA_CERTS with the RDS CA). */
  ca?: string;
  /** Name to verify the server certificate against when `host` is not it (e.g. through a tunnel). */
  servername?: string;
  connectTimeoutMs?: number;
  /**
   * Every statement's limit: PostgreSQL's statement_timeout, sent when the session starts (a startup
   * parameter), so no statement runs without it. Default 60 s.
   */
  statementTimeoutMs?: number;
  /**
   * All statements of one session together, from its connection: near the end each statement gets only
   * the time left, then the session refuses more (57014). Default: no budget beyond each statement's.
   */
  sessionBudgetMs?: number;
  /** A clock in ms for the budget (tests). */
  now?: () => number;
  /** Builds the driver client from its config; pg's Client by default. */
  createClient?: (config: pg.ClientConfig) => PgClientLike;
}

/** A failed connection or query. `code` is PostgreSQL's SQLSTATE (e.g. 28P01) or Node's error code. */
export class PostgresError extends Error {
  override name = "PostgresError";
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly severity: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const defaultConnectTimeoutMs = 10_000;
const defaultStatementTimeoutMs = 60_000;
/** The driver's own wait for an answer, beyond the server's statement_timeout (a dead network, say). */
const clientTimeoutMarginMs = 5_000;

// Node's codes for a server certificate that did not verify: the fix is trusting the right CA, never disabling checks.
const certificateCodes = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** PostgreSQL over TLS with the server certificate always verified. */
export function createPgDatabase(options: PgDatabaseOptions = {}): DatabasePort {
  const createClient: (config: pg.ClientConfig) => PgClientLike =
    options.createClient ?? ((config) => new pg.Client(config));
  const statementTimeoutMs = options.statementTimeoutMs ?? defaultStatementTimeoutMs;
  const now = options.now ?? (() => Date.now());
  return {
    async connect(endpoint) {
      const client = createClient({
        host: endpoint.host,
        port: endpoint.port,
        database: endpoint.database,
        user: endpoint.user,
        password: endpoint.password,
        connectionTimeoutMillis: options.connectTimeoutMs ?? defaultConnectTimeoutMs,
        statement_timeout: statementTimeoutMs,
        query_timeout: statementTimeoutMs + clientTimeoutMarginMs,
        ssl: {
          rejectUnauthorized: true,
          ...(options.ca ? { ca: options.ca } : {}),
          ...(options.servername ? { servername: options.servername } : {}),
        },
      });
      // Without a listener, a dropped idle connection would crash the process; keep it for the next call instead.
      let broken: Error | undefined;
      client.on("error", (error) => {
        broken = error;
      });
      try {
        await client.connect();
      } catch (error) {
        await client.end().catch(() => undefined);
        throw toPostgresError(error, "connect", endpoint);
      }
      const budget =
        options.sessionBudgetMs === undefined
          ? undefined
          : { totalMs: options.sessionBudgetMs, startedAt: now(), now, statementTimeoutMs };
      return openSession(client, endpoint, () => broken, budget);
    },
  };
}

interface SessionBudget {
  totalMs: number;
  startedAt: number;
  now: () => number;
  statementTimeoutMs: number;
}

function openSession(
  client: PgClientLike,
  endpoint: DbEndpoint,
  broken: () => Error | undefined,
  budget?: SessionBudget,
): DbSession {
  let closed = false;
  let timeoutMs = budget?.statementTimeoutMs;
  /** Shortens statement_timeout to what is left of the budget; refuses once nothing is. */
  const withinBudget = async () => {
    if (!budget || timeoutMs === undefined) return;
    const left = budget.totalMs - (budget.now() - budget.startedAt);
    if (left < 1_000) {
      throw new PostgresError(
        `query on ${where(endpoint)}: the session's time budget of ${Math.round(budget.totalMs / 1000)} s is spent ` +
          "(it keeps the function inside its timeout): make the plan's SQL faster, or split it",
        "57014",
        "ERROR",
      );
    }
    if (left < timeoutMs) {
      timeoutMs = Math.floor(left);
      await client.query(`SET statement_timeout = ${timeoutMs}`);
    }
  };
  return {
    async query<Row extends Record<string, unknown> = Record<string, unknown>>(
      text: string,
      values?: unknown[],
    ) {
      const failure = broken();
      if (failure) throw toPostgresError(failure, "query", endpoint);
      if (closed)
        throw new PostgresError(`query on ${where(endpoint)}: the session is closed`, undefined, undefined);
      try {
        await withinBudget();
        const result = await client.query(text, values);
        return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
      } catch (error) {
        throw toPostgresError(error, "query", endpoint);
      }
    },
    escapeIdentifier: (name) => client.escapeIdentifier(name),
    escapeLiteral: (value) => client.escapeLiteral(value),
    async close() {
      if (closed) return;
      closed = true;
      await client.end();
    },
  };
}

function where(endpoint: DbEndpoint): string {
  return `${endpoint.user}@${endpoint.host}:${endpoint.port}/${endpoint.database}`;
}

/** Keeps SQLSTATE, names the endpoint, never the password (nor the query text, which may hold literals). */
export function toPostgresError(
  error: unknown,
  phase: "connect" | "query",
  endpoint: DbEndpoint,
): PostgresError {
  const { code, severity, message } = (error ?? {}) as {
    code?: unknown;
    severity?: unknown;
    message?: unknown;
  };
  const sqlState = typeof code === "string" ? code : undefined;
  const text = typeof message === "string" && message ? message : String(error);
  const hint =
    sqlState && certificateCodes.has(sqlState)
      ? " (the server certificate did not verify: trust the RDS CA with NODE_EXTRA_CA_CERTS or the `ca` option)"
      : sqlState === "28P01"
        ? " (password rejected: after a password change RDS applies it asynchronously; retry until it is accepted)"
        : "";
  return new PostgresError(
    redact(`${phase} ${where(endpoint)} failed: ${text}${sqlState ? ` [${sqlState}]` : ""}${hint}`, [
      endpoint.password,
    ]),
    sqlState,
    typeof severity === "string" ? severity : undefined,
    { cause: error },
  );
}
