import pg from "pg";
import { describe, expect, it } from "vitest";
import { createPgDatabase, type PgClientLike, PostgresError } from "../src/postgres";

const endpoint = {
  host: "orders-staging.cluster-abc.eu-west-1.rds.amazonaws.com",
  port: 5432,
  database: "orders",
  user: "postgres",
  password: "n3w-Passw0rd!",
};

/** A stand-in for pg's Client: records its config, answers from a script, escapes as pg does. */
function fakePg(script: {
  connect?: () => Promise<void>;
  query?: (text: string, values?: unknown[]) => Promise<unknown>;
}) {
  const configs: pg.ClientConfig[] = [];
  const state = { ended: 0, onError: undefined as ((error: Error) => void) | undefined };
  const createClient = (config: pg.ClientConfig): PgClientLike => {
    configs.push(config);
    return {
      connect: script.connect ?? (async () => undefined),
      query: async (text, values) =>
        (await (script.query ?? (async () => ({ rows: [], rowCount: 0 })))(text, values)) as {
          rows: unknown[];
          rowCount: number | null;
        },
      end: async () => {
        state.ended++;
      },
      on: (_event, listener) => {
        state.onError = listener;
      },
      escapeIdentifier: pg.escapeIdentifier,
      escapeLiteral: pg.escapeLiteral,
    };
  };
  return { createClient, configs, state };
}

function pgError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code, severity: "FATAL" });
}

describe("createPgDatabase", () => {
  it("always verifies the server certificate, with the given CA and name", async () => {
    const fake = fakePg({});
    await createPgDatabase({
      ca: "-----BEGIN CERTIFICATE-----",
      servername: "orders.example",
      connectTimeoutMs: 2000,
      createClient: fake.createClient,
    }).connect(endpoint);
    expect(fake.configs[0]).toMatchObject({
      ...endpoint,
      connectionTimeoutMillis: 2000,
      ssl: { rejectUnauthorized: true, ca: "-----BEGIN CERTIFICATE-----", servername: "orders.example" },
    });
  });

  it("relies on Node's trust store when no CA is given, still verifying", async () => {
    const fake = fakePg({});
    await createPgDatabase({ createClient: fake.createClient }).connect(endpoint);
    expect(fake.configs[0]?.ssl).toEqual({ rejectUnauthorized: true });
    expect(fake.configs[0]?.connectionTimeoutMillis).toBe(10_000);
  });

  it("runs queries with parameters and returns rows and a row count", async () => {
    const seen: unknown[] = [];
    const fake = fakePg({
      query: async (text, values) => {
        seen.push(text, values);
        return { rows: [{ total: 42 }], rowCount: null };
      },
    });
    const session = await createPgDatabase({ createClient: fake.createClient }).connect(endpoint);
    const result = await session.query<{ total: number }>(
      "select sum(balance) as total from accounts where id > $1",
      [0],
    );
    expect(seen).toEqual(["select sum(balance) as total from accounts where id > $1", [0]]);
    expect(result).toEqual({ rows: [{ total: 42 }], rowCount: 0 });
  });

  it("escapes with pg's own escaping", async () => {
    const session = await createPgDatabase({ createClient: fakePg({}).createClient }).connect(endpoint);
    expect(session.escapeIdentifier('we"ird')).toBe('"we""ird"');
    expect(session.escapeLiteral("it's")).toBe("'it''s'");
  });

  it("keeps the SQLSTATE of a failed login, never the password, and closes the client", async () => {
    const fake = fakePg({
      connect: async () => {
        throw pgError(
          `password authentication failed for user "postgres" (tried ${endpoint.password})`,
          "28P01",
        );
      },
    });
    const error = await createPgDatabase({ createClient: fake.createClient })
      .connect(endpoint)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgresError);
    expect(error).toMatchObject({ code: "28P01", severity: "FATAL" });
    expect((error as Error).message).toContain(
      "connect postgres@orders-staging.cluster-abc.eu-west-1.rds.amazonaws.com:5432/orders",
    );
    expect((error as Error).message).toContain("[28P01]");
    expect((error as Error).message).not.toContain(endpoint.password);
    expect(fake.state.ended).toBe(1);
  });

  it("says how to fix a certificate that did not verify", async () => {
    const fake = fakePg({
      connect: async () => {
        throw pgError("self-signed certificate in certificate chain", "SELF_SIGNED_CERT_IN_CHAIN");
      },
    });
    await expect(createPgDatabase({ createClient: fake.createClient }).connect(endpoint)).rejects.toThrow(
      /NODE_EXTRA_CA_CERTS/,
    );
  });

  it("keeps the SQLSTATE of a failed query without echoing the query text", async () => {
    const fake = fakePg({
      query: async () => {
        throw pgError('relation "acounts" does not exist', "42P01");
      },
    });
    const session = await createPgDatabase({ createClient: fake.createClient }).connect(endpoint);
    const error = await session
      .query("select * from acounts where note = 'private'")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "42P01" });
    expect((error as Error).message).not.toContain("private");
  });

  it("reports a connection that dropped while idle on the next query instead of crashing", async () => {
    const fake = fakePg({});
    const session = await createPgDatabase({ createClient: fake.createClient }).connect(endpoint);
    fake.state.onError?.(pgError("terminating connection due to administrator command", "57P01"));
    await expect(session.query("select 1")).rejects.toMatchObject({ code: "57P01" });
  });

  it("closes once and refuses queries afterwards", async () => {
    const fake = fakePg({});
    const session = await createPgDatabase({ createClient: fake.createClient }).connect(endpoint);
    await session.close();
    await session.close();
    expect(fake.state.ended).toBe(1);
    await expect(session.query("select 1")).rejects.toThrow(/session is closed/);
  });

  it("gives every statement of the session a statement_timeout, set when it connects (issue 10, item 3)", async () => {
    const fake = fakePg({});
    await createPgDatabase({ createClient: fake.createClient }).connect(endpoint);
    // Sent as a startup parameter: no statement runs, on any server, without it.
    expect(fake.configs[0]?.statement_timeout).toBe(60_000);
    expect(fake.configs[0]?.query_timeout).toBeGreaterThan(60_000);
    const custom = fakePg({});
    await createPgDatabase({ createClient: custom.createClient, statementTimeoutMs: 5_000 }).connect(
      endpoint,
    );
    expect(custom.configs[0]?.statement_timeout).toBe(5_000);
  });

  it("keeps a session's statements within its time budget: shorter timeouts near its end, then a refusal", async () => {
    let now = 0;
    const queries: string[] = [];
    const fake = fakePg({
      query: async (text) => {
        queries.push(text);
        now += 30_000;
        return { rows: [], rowCount: 0 };
      },
    });
    const session = await createPgDatabase({
      createClient: fake.createClient,
      statementTimeoutMs: 40_000,
      sessionBudgetMs: 80_000,
      now: () => now,
    }).connect(endpoint);
    await session.query("UPDATE a SET x = 1");
    await session.query("UPDATE b SET x = 1");
    // 20 s left: the next statement gets 20 s, not 40.
    await session.query("UPDATE c SET x = 1");
    expect(queries).toEqual([
      "UPDATE a SET x = 1",
      "UPDATE b SET x = 1",
      "SET statement_timeout = 20000",
      "UPDATE c SET x = 1",
    ]);
    const error = await session.query("UPDATE d SET x = 1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgresError);
    expect(error).toMatchObject({ code: "57014" });
    expect((error as Error).message).toMatch(/time budget of 80 s/);
  });
});
