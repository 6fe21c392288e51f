/**
 * Refuses plan SQL (post-restore statements, SQL checks) that reaches beyond the database: the server's
 * files and programs (COPY ... TO/FROM PROGRAM or a file, pg_read_file and friends, large-object import and
 * export), its configuration (ALTER SYSTEM, preload libraries), code in untrusted languages (LANGUAGE c,
 * plpython3u, ...), and connections to other servers (dblink, foreign data wrappers, aws_s3/aws_lambda).
 * Aurora's master user cannot do most of these either, and masking or checking data never needs them; on
 * the local runtime, where the master user is a real superuser, they would run on the developer's machine.
 *
 * The SQL is lexed the way PostgreSQL lexes it (comments, nested block comments, '' strings, E'' strings,
 * dollar quotes, quoted identifiers) so that a keyword inside a comment or a string literal does not trip
 * the check, and so that comments, case or whitespace inside a statement do not hide one. Bodies of DO
 * blocks and functions are checked as SQL too; dynamic SQL in them (EXECUTE) cannot be checked and is
 * refused. The check runs twice, once as PostgreSQL reads strings by default and once as it reads them with
 * standard_conforming_strings off, so a backslash cannot make the two disagree about what is a string.
 */

import { lex, splitStatements, type Token } from "./sql-lexer";

export interface SqlProblem {
  /** What was found, e.g. "COPY ... TO PROGRAM". */
  found: string;
  /** Why it is refused. */
  why: string;
}

const SERVER_FILES = "it reads or writes files or runs programs on the database server";
const CONFIGURATION = "it changes the database server's configuration or loads code into it";
const UNTRUSTED = "code in an untrusted language runs with the server's operating-system privileges";
const REMOTE = "it connects the database to other servers or AWS services";
const DYNAMIC = "dynamic SQL cannot be checked; write the statements themselves";

/** Names (functions, roles, settings, schemas) whose mere mention is refused. */
const forbiddenNames = new Map<string, string>([
  ...[
    "pg_read_file",
    "pg_read_binary_file",
    "pg_ls_dir",
    "pg_stat_file",
    "pg_ls_logdir",
    "pg_ls_waldir",
    "pg_ls_tmpdir",
    "pg_ls_archive_statusdir",
    "pg_ls_logicalsnapdir",
    "pg_ls_logicalmapdir",
    "pg_ls_replslotdir",
    "pg_ls_summariesdir",
    "pg_logdir_ls",
    "pg_file_write",
    "pg_file_rename",
    "pg_file_unlink",
    "pg_file_sync",
    "lo_import",
    "lo_export",
    "pg_read_server_files",
    "pg_write_server_files",
    "pg_execute_server_program",
  ].map((name) => [name, SERVER_FILES] as const),
  ...[
    "standard_conforming_strings",
    "shared_preload_libraries",
    "session_preload_libraries",
    "local_preload_libraries",
    "dynamic_library_path",
    "pg_reload_conf",
  ].map((name) => [name, CONFIGURATION] as const),
  ...[
    "postgres_fdw",
    "file_fdw",
    "log_fdw",
    "mysql_fdw",
    "oracle_fdw",
    "tds_fdw",
    "aws_s3",
    "aws_lambda",
    "query_export_to_s3",
    "table_import_from_s3",
  ].map((name) => [name, REMOTE] as const),
]);

/** Languages whose code runs unsandboxed (PostgreSQL's "untrusted" languages, and C/internal). */
const untrustedLanguages = new Set([
  "c",
  "internal",
  "plpythonu",
  "plpython2u",
  "plpython3u",
  "plperlu",
  "pltclu",
  "plluau",
  "plsh",
  "plr",
  "pljavau",
  "plv8u",
]);

/** Extensions that reach files, programs or other servers. */
const forbiddenExtensions = new Set([
  ...untrustedLanguages,
  "dblink",
  "postgres_fdw",
  "file_fdw",
  "log_fdw",
  "adminpack",
  "aws_s3",
  "aws_lambda",
  "mysql_fdw",
  "oracle_fdw",
  "tds_fdw",
]);

/** Settings whose names in a string (set_config('...', ...)) are refused like the names themselves. */
const settingNamesInStrings = /standard_conforming_strings|preload_libraries|dynamic_library_path/i;

const MAX_BODY_DEPTH = 4;

/** The first problem found in `sql`, or undefined when it is fine to run. */
export function sqlProblem(sql: string): SqlProblem | undefined {
  const standard = lex(sql, false);
  if ("problem" in standard) return standard.problem;
  const found = analyse(standard.tokens, 0, false);
  if (found) return found;
  // As PostgreSQL would read it with standard_conforming_strings off: a backslash escapes a quote.
  // SQL that cannot be read that way would be refused by the server as a whole, so only findings count.
  const backslash = lex(sql, true);
  return "tokens" in backslash ? analyse(backslash.tokens, 0, true) : undefined;
}

/** "COPY ... TO PROGRAM is not allowed: ..." for an error message. */
export function describeSqlProblem(problem: SqlProblem): string {
  return `${problem.found} is not allowed in plan SQL: ${problem.why} (Aurora's master user cannot do this either, and masking or checking data never needs it)`;
}

function analyse(tokens: Token[], depth: number, backslashEscapes: boolean): SqlProblem | undefined {
  for (const statement of splitStatements(tokens)) {
    const problem = analyseStatement(statement, depth, backslashEscapes);
    if (problem) return problem;
  }
  return undefined;
}

function analyseStatement(tokens: Token[], depth: number, backslashEscapes: boolean): SqlProblem | undefined {
  // Keywords are unquoted words ("copy" in double quotes is a name, never COPY); names are either.
  const keyword = (i: number) => (tokens[i]?.kind === "word" ? tokens[i]?.text : undefined);
  const name = (i: number) => {
    const token = tokens[i];
    return token && (token.kind === "word" || token.kind === "quoted") ? token.text : undefined;
  };
  const skip = (from: number, words: readonly string[]) => {
    let i = from;
    while (i < tokens.length && words.includes(keyword(i) as string)) i++;
    return i;
  };
  const first = tokens.findIndex((t) => t.kind === "word");

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (token.kind === "string" && settingNamesInStrings.test(token.text)) {
      return { found: `setting ${settingNamesInStrings.exec(token.text)?.[0]}`, why: CONFIGURATION };
    }
    const named = name(i);
    if (named !== undefined) {
      const forbidden = forbiddenNames.get(named);
      if (forbidden) return { found: named, why: forbidden };
      if (named.startsWith("dblink")) return { found: named, why: REMOTE };
    }
    const word = keyword(i);
    if (word === undefined) continue;
    if (word === "copy") {
      const rest = tokens
        .slice(i + 1)
        .filter((t) => t.kind === "word")
        .map((t) => t.text);
      if (rest.includes("program")) return { found: "COPY ... TO/FROM PROGRAM", why: SERVER_FILES };
      const direction = rest.find((w) => w === "to" || w === "from");
      if (direction) {
        return {
          found: `COPY ... ${direction.toUpperCase()} a file, STDIN or STDOUT`,
          why: `${SERVER_FILES} (a file name), or needs a client stream the pipeline does not have (STDIN/STDOUT)`,
        };
      }
    }
    if (word === "alter" && keyword(i + 1) === "system") return { found: "ALTER SYSTEM", why: CONFIGURATION };
    if (word === "load" && i === first) return { found: "LOAD", why: CONFIGURATION };
    if (word === "extension") {
      const extension = name(skip(i + 1, ["if", "not", "exists"]));
      if (extension && forbiddenExtensions.has(extension)) {
        return { found: `extension ${extension}`, why: whyExtension(extension) };
      }
    }
    if (word === "language") {
      const next = tokens[i + 1];
      const language =
        next && next.kind !== "punct" && next.kind !== "body" ? next.text.toLowerCase() : undefined;
      if (language && untrustedLanguages.has(language))
        return { found: `LANGUAGE ${language}`, why: UNTRUSTED };
    }
    if (word === "create") {
      const j = skip(i + 1, ["or", "replace", "trusted", "procedural", "unlogged", "temp", "temporary"]);
      const what = keyword(j);
      if (what === "language") return { found: "CREATE LANGUAGE", why: UNTRUSTED };
      if (what === "tablespace") return { found: "CREATE TABLESPACE", why: SERVER_FILES };
      if (what === "server") return { found: "CREATE SERVER", why: REMOTE };
      if (what === "user" && keyword(j + 1) === "mapping")
        return { found: "CREATE USER MAPPING", why: REMOTE };
      if (what === "foreign" && keyword(j + 1) === "data") {
        return { found: "CREATE FOREIGN DATA WRAPPER", why: REMOTE };
      }
    }
    if (word === "import" && keyword(i + 1) === "foreign")
      return { found: "IMPORT FOREIGN SCHEMA", why: REMOTE };
    if (word === "execute" && depth > 0)
      return { found: "EXECUTE inside a DO block or function", why: DYNAMIC };
  }

  // Bodies of DO blocks and functions are code: check them as SQL too (and whatever they nest).
  const head = first >= 0 ? skip(first + 1, ["or", "replace"]) : -1;
  const isDo = keyword(first) === "do";
  const isRoutine =
    keyword(first) === "create" && ["function", "procedure"].includes(keyword(head) as string);
  for (const token of tokens) {
    const code =
      token.kind === "body" ? depth > 0 || isDo || isRoutine : token.kind === "string" && (isDo || isRoutine);
    if (!code) continue;
    if (depth >= MAX_BODY_DEPTH) return { found: "DO blocks or functions nested this deep", why: DYNAMIC };
    const inner = lex(token.text, backslashEscapes);
    if ("problem" in inner) {
      // The server would refuse a body it cannot read, but say so rather than guess.
      return { found: `${inner.problem.found} in a DO block or function body`, why: inner.problem.why };
    }
    const problem = analyse(inner.tokens, depth + 1, backslashEscapes);
    if (problem) return problem;
  }
  return undefined;
}

function whyExtension(extension: string): string {
  if (untrustedLanguages.has(extension)) return UNTRUSTED;
  return extension === "adminpack" ? SERVER_FILES : REMOTE;
}
