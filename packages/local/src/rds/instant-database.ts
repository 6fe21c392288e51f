import { toPostgresError } from "@aurora-restore/aws/postgres";
import type { DatabasePort, DbEndpoint, DbSession } from "@aurora-restore/core/ports/index";
import { scramMatches } from "./credentials";
import { executeSql, redactPasswords } from "./instant-sql";
import { SqlFault } from "./instant-sql-fault";
import type { InstantClusterFile } from "./instant-store";

/** What the database port needs from the instant clusters: which one serves an endpoint, and saving one. */
export interface InstantEndpoints {
  /** The cluster serving `host:port` now (its file in memory), or undefined (nothing listens there). */
  serving(host: string, port: number): { resourceId: string; file: InstantClusterFile } | undefined;
  save(resourceId: string): Promise<void>;
  now(): Date;
}

const loopback = new Set(["127.0.0.1", "localhost", "::1"]);

/**
 * The DatabasePort of instant clusters: logins are checked against the cluster's roles (SCRAM verifiers, as
 * PostgreSQL checks them: a wrong password is 28P01, a role without LOGIN 28000, a missing database 3D000),
 * and statements run against its roles and table catalogue (instant-sql.ts). Errors are the same
 * PostgresError (with SQLSTATE in `code`) the PostgreSQL port throws. There is no TLS: nothing goes over a
 * network.
 */
export function createInstantDatabase(endpoints: InstantEndpoints): DatabasePort {
  return {
    async connect(endpoint) {
      const fail = (code: string, message: string): never => {
        throw toPostgresError(Object.assign(new Error(message), { code }), "connect", endpoint);
      };
      if (!loopback.has(endpoint.host)) fail("ENOTFOUND", `getaddrinfo ENOTFOUND ${endpoint.host}`);
      const served = endpoints.serving(endpoint.host, endpoint.port);
      if (!served) return fail("ECONNREFUSED", `connect ECONNREFUSED ${endpoint.host}:${endpoint.port}`);
      const roles = served.file.data.roles;
      const role = Object.hasOwn(roles, endpoint.user) ? roles[endpoint.user] : undefined;
      // As PostgreSQL with scram-sha-256: an unknown role or a role without password fails like a wrong one.
      if (!role?.verifier || !scramMatches(role.verifier, endpoint.password)) {
        fail("28P01", `password authentication failed for user "${endpoint.user}"`);
      }
      if (!role?.login) fail("28000", `role "${endpoint.user}" is not permitted to log in`);
      if (!Object.hasOwn(served.file.data.databases, endpoint.database)) {
        fail("3D000", `database "${endpoint.database}" does not exist`);
      }
      return openSession(endpoints, endpoint, served.resourceId);
    },
  };
}

function openSession(endpoints: InstantEndpoints, endpoint: DbEndpoint, resourceId: string): DbSession {
  let closed = false;
  const fail = (code: string, message: string): never => {
    throw toPostgresError(Object.assign(new Error(message), { code }), "query", endpoint);
  };
  return {
    async query<Row extends Record<string, unknown> = Record<string, unknown>>(
      text: string,
      values?: unknown[],
    ) {
      if (closed) fail("ECLOSED", "the session is closed");
      const served = endpoints.serving(endpoint.host, endpoint.port);
      if (!served || served.resourceId !== resourceId) {
        return fail("57P01", "terminating connection due to administrator command");
      }
      const file = served.file;
      // One transaction: statements run on a copy that replaces the data only when all of them succeeded.
      const draft = structuredClone(file.data);
      let results: ReturnType<typeof executeSql>;
      try {
        results = executeSql(draft, { user: endpoint.user, database: endpoint.database }, text, values);
      } catch (error) {
        if (error instanceof SqlFault) return fail(error.code, error.message);
        throw error;
      }
      const last = results[results.length - 1];
      if (results.some((r) => r.changed)) {
        file.data = draft;
        const at = endpoints.now().toISOString();
        const logged = redactPasswords(text.trim());
        for (const result of results.filter((r) => r.changed)) {
          file.statements.push({
            at,
            user: endpoint.user,
            database: endpoint.database,
            kind: result.kind,
            text: results.length === 1 ? logged : `${logged} [${result.kind}]`,
            rowCount: result.rowCount,
          });
        }
        await endpoints.save(resourceId);
      }
      return { rows: (last?.rows ?? []) as Row[], rowCount: last?.rowCount ?? 0 };
    },
    escapeIdentifier: (name) => `"${name.replace(/"/g, '""')}"`,
    // As pg's escapeLiteral: backslashes make it an E'' string (with a leading space).
    escapeLiteral: (value) => {
      let hasBackslash = false;
      let quoted = "'";
      for (const ch of value) {
        if (ch === "'") quoted += "''";
        else if (ch === "\\") {
          quoted += "\\\\";
          hasBackslash = true;
        } else quoted += ch;
      }
      quoted += "'";
      return hasBackslash ? ` E${quoted}` : quoted;
    },
    async close() {
      closed = true;
    },
  };
}
