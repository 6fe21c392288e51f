import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import type { DatabasePort, DbEndpoint, DbSession } from "../../src/ports/database";

/**
 * A PostgreSQL stand-in for stage tests: roles with passwords or SCRAM verifiers (checked like the server
 * checks them), a master password change that is refused with 28P01 for a number of logins (RDS applies it
 * asynchronously), and a record of every query. Answers for check queries come from `answer`.
 */

export interface RecordedQuery {
  host: string;
  user: string;
  text: string;
  values?: unknown[];
}

interface Role {
  password?: string;
  verifier?: string;
  pending?: { password: string; refusalsLeft: number };
}

class SqlError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Does `password` match a SCRAM-SHA-256 verifier (as PostgreSQL checks a login)? */
export function scramMatches(verifier: string, password: string): boolean {
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  if (!match) return false;
  const [, iterations, salt, storedKey] = match;
  const salted = pbkdf2Sync(password, Buffer.from(salt!, "base64"), Number(iterations), 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  return createHash("sha256").update(clientKey).digest("base64") === storedKey;
}

const unquoteIdentifier = (quoted: string) => quoted.slice(1, -1).replace(/""/g, '"');
const unquoteLiteral = (quoted: string) => quoted.slice(1, -1).replace(/''/g, "'");

export class FakeDatabase implements DatabasePort {
  readonly servers = new Map<string, Map<string, Role>>();
  readonly queries: RecordedQuery[] = [];
  readonly connects: { host: string; user: string; ok: boolean; code?: string }[] = [];
  /** Refusals (28P01) of the new master password before it takes effect. */
  passwordDelayLogins = 3;
  answer?: (query: RecordedQuery) => { rows: Record<string, unknown>[] } | Error | undefined;

  addServer(host: string, masterUser: string, masterPassword: string): void {
    this.servers.set(host, new Map([[masterUser, { password: masterPassword }]]));
  }

  /** What RDS does on ModifyDBCluster MasterUserPassword: the old password keeps working for a while. */
  changePassword(host: string, user: string, password: string): void {
    const role = this.servers.get(host)?.get(user);
    if (!role) throw new Error(`no role ${user} on ${host}`);
    role.pending = { password, refusalsLeft: this.passwordDelayLogins };
  }

  role(host: string, user: string): Role | undefined {
    return this.servers.get(host)?.get(user);
  }

  async connect(endpoint: DbEndpoint): Promise<DbSession> {
    const refuse = (code: string, message: string): never => {
      this.connects.push({ host: endpoint.host, user: endpoint.user, ok: false, code });
      throw new SqlError(code, message);
    };
    const roles = this.servers.get(endpoint.host);
    if (!roles) return refuse("ECONNREFUSED", `connect ECONNREFUSED ${endpoint.host}:${endpoint.port}`);
    const role = roles.get(endpoint.user);
    if (!role) return refuse("28000", `role "${endpoint.user}" does not exist`);
    if (role.pending && role.pending.password === endpoint.password) {
      if (role.pending.refusalsLeft > 0) {
        role.pending.refusalsLeft -= 1;
        return refuse("28P01", `password authentication failed for user "${endpoint.user}"`);
      }
      role.password = role.pending.password;
      role.pending = undefined;
    }
    const ok =
      (role.password !== undefined && role.password === endpoint.password) ||
      (role.verifier !== undefined && scramMatches(role.verifier, endpoint.password));
    if (!ok) return refuse("28P01", `password authentication failed for user "${endpoint.user}"`);
    this.connects.push({ host: endpoint.host, user: endpoint.user, ok: true });
    return this.session(endpoint.host, endpoint.user, roles);
  }

  private session(host: string, user: string, roles: Map<string, Role>): DbSession {
    let open = true;
    return {
      query: async <Row extends Record<string, unknown>>(text: string, values?: unknown[]) => {
        if (!open) throw new Error("session closed");
        const query: RecordedQuery = { host, user, text, ...(values ? { values } : {}) };
        this.queries.push(query);
        const rows = this.execute(query, roles);
        return { rows: rows as Row[], rowCount: rows.length };
      },
      escapeIdentifier: (name) => `"${name.replace(/"/g, '""')}"`,
      escapeLiteral: (value) => {
        const escaped = value.replace(/'/g, "''");
        return value.includes("\\") ? ` E'${escaped.replace(/\\/g, "\\\\")}'` : `'${escaped}'`;
      },
      close: async () => {
        open = false;
      },
    };
  }

  private execute(query: RecordedQuery, roles: Map<string, Role>): Record<string, unknown>[] {
    if (/FROM pg_catalog\.pg_roles WHERE rolname = \$1/.test(query.text)) {
      return roles.has(String(query.values?.[0])) ? [{ "?column?": 1 }] : [];
    }
    const role = /^(CREATE|ALTER) ROLE ("(?:[^"]|"")+") WITH LOGIN PASSWORD ('(?:[^']|'')*')$/.exec(
      query.text,
    );
    if (role) {
      const name = unquoteIdentifier(role[2]!);
      if (role[1] === "CREATE" && roles.has(name))
        throw new SqlError("42710", `role "${name}" already exists`);
      roles.set(name, { verifier: unquoteLiteral(role[3]!) });
      return [];
    }
    const answer = this.answer?.(query);
    if (answer instanceof Error) throw answer;
    return answer?.rows ?? [];
  }
}

export { SqlError };
