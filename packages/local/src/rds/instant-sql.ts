import { isScramVerifier, scramVerifier } from "./credentials";
import {
  emptyDatabase,
  type InstantData,
  type InstantDatabase,
  type InstantRole,
  type InstantTable,
} from "./instant-store";

/**
 * The SQL an instant cluster understands: what the pipeline's stages send (role and grant statements, the
 * lookups and checks verify runs, simple post-restore statements) plus what loads a catalogue (CREATE
 * TABLE, INSERT ... VALUES). Answers come from the cluster's roles and table catalogue, with PostgreSQL's
 * SQLSTATEs and privilege rules for what is modelled; anything else is refused with 0A000 naming the
 * statement, never answered with a made-up result.
 */

/** A statement's failure as PostgreSQL reports it: SQLSTATE and message. */
export class SqlFault extends Error {
  override name = "SqlFault";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const unsupportedCode = "0A000";

export function unsupported(text: string, why: string): SqlFault {
  const oneLine = text.replace(/\s+/g, " ").trim();
  const shown = oneLine.length > 160 ? `${oneLine.slice(0, 157)}...` : oneLine;
  return new SqlFault(
    unsupportedCode,
    `instant clusters cannot run "${shown}" (${why}); use clusters: "postgres" for this`,
  );
}

// ---------------------------------------------------------------- tokens

type Token =
  | { kind: "word"; value: string }
  | { kind: "quoted"; value: string }
  | { kind: "string"; value: string }
  | { kind: "number"; value: string }
  | { kind: "param"; index: number }
  | { kind: "symbol"; value: string };

const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f" };

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (why: string) => unsupported(text, why);
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i += 1;
    } else if (text.startsWith("--", i)) {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end + 1;
    } else if (text.startsWith("/*", i)) {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) throw new SqlFault("42601", "unterminated /* comment");
      i = end + 2;
    } else if (c === "'" || ((c === "E" || c === "e") && text[i + 1] === "'")) {
      const escaped = c !== "'";
      i += escaped ? 2 : 1;
      let value = "";
      for (;;) {
        if (i >= text.length) throw new SqlFault("42601", "unterminated quoted string");
        const ch = text[i]!;
        if (ch === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        if (escaped && ch === "\\") {
          const next = text[i + 1] ?? "";
          value += escapes[next] ?? next;
          i += 2;
          continue;
        }
        value += ch;
        i += 1;
      }
      tokens.push({ kind: "string", value });
    } else if (c === '"') {
      let value = "";
      i += 1;
      for (;;) {
        if (i >= text.length) throw new SqlFault("42601", "unterminated quoted identifier");
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        value += text[i];
        i += 1;
      }
      if (value === "") throw new SqlFault("42601", "zero-length delimited identifier");
      tokens.push({ kind: "quoted", value });
    } else if (c === "$") {
      const match = /^\$(\d+)/.exec(text.slice(i));
      if (!match) throw fail("dollar-quoted strings are not simulated");
      tokens.push({ kind: "param", index: Number(match[1]) });
      i += match[0].length;
    } else if (/[0-9]/.test(c)) {
      const match = /^[0-9]+(\.[0-9]+)?/.exec(text.slice(i))!;
      tokens.push({ kind: "number", value: match[0] });
      i += match[0].length;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const match = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(text.slice(i))!;
      tokens.push({ kind: "word", value: match[0].toLowerCase() });
      i += match[0].length;
    } else {
      const two = text.slice(i, i + 2);
      const symbol = ["::", "<=", ">=", "<>", "!=", "||"].includes(two) ? two : c;
      tokens.push({ kind: "symbol", value: symbol });
      i += symbol.length;
    }
  }
  return tokens;
}

/** Splits at top-level semicolons (a simple query may hold several statements). */
function splitStatements(tokens: Token[]): Token[][] {
  const statements: Token[][] = [[]];
  for (const token of tokens) {
    if (token.kind === "symbol" && token.value === ";") statements.push([]);
    else statements[statements.length - 1]!.push(token);
  }
  return statements.filter((s) => s.length > 0);
}

// ---------------------------------------------------------------- cursor

interface Name {
  schema?: string;
  name: string;
  /** As written, for messages (PostgreSQL names the relation as the statement did). */
  shown: string;
}

class Cursor {
  #at = 0;
  constructor(
    readonly tokens: Token[],
    readonly values: unknown[] | undefined,
    readonly source: string,
  ) {}

  get atEnd(): boolean {
    return this.#at >= this.tokens.length;
  }

  peek(offset = 0): Token | undefined {
    return this.tokens[this.#at + offset];
  }

  rest(): Token[] {
    return this.tokens.slice(this.#at);
  }

  isWord(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.kind === "word" && token.value === word;
  }

  /** Accepts the words in sequence (all or none). */
  acceptWords(...words: string[]): boolean {
    if (!words.every((w, i) => this.isWord(w, i))) return false;
    this.#at += words.length;
    return true;
  }

  expectWords(...words: string[]): void {
    if (!this.acceptWords(...words)) throw this.unsupported(`expected ${words.join(" ").toUpperCase()}`);
  }

  isSymbol(symbol: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.kind === "symbol" && token.value === symbol;
  }

  acceptSymbol(symbol: string): boolean {
    if (!this.isSymbol(symbol)) return false;
    this.#at += 1;
    return true;
  }

  expectSymbol(symbol: string): void {
    if (!this.acceptSymbol(symbol)) throw this.unsupported(`expected "${symbol}"`);
  }

  /** An identifier: unquoted names fold to lower case, quoted ones are kept. */
  name(): string {
    const token = this.peek();
    if (token?.kind === "word" || token?.kind === "quoted") {
      this.#at += 1;
      return token.value;
    }
    throw this.unsupported("expected a name");
  }

  qualifiedName(): Name {
    const first = this.name();
    if (!this.acceptSymbol(".")) return { name: first, shown: first };
    const second = this.name();
    if (this.isSymbol(".")) throw this.unsupported("cross-database references are not simulated");
    return { schema: first, name: second, shown: `${first}.${second}` };
  }

  /** A text value: a string literal or a bound parameter. */
  text(): string {
    const token = this.peek();
    if (token?.kind === "string") {
      this.#at += 1;
      return token.value;
    }
    if (token?.kind === "param") {
      this.#at += 1;
      if (!this.values || token.index < 1 || token.index > this.values.length) {
        throw new SqlFault("42P02", `there is no parameter $${token.index}`);
      }
      const value = this.values[token.index - 1];
      if (value === null || value === undefined) return "";
      return String(value);
    }
    throw this.unsupported("expected a string or a parameter");
  }

  integer(): number {
    const token = this.peek();
    if (token?.kind === "number" && /^\d+$/.test(token.value)) {
      this.#at += 1;
      return Number(token.value);
    }
    throw this.unsupported("expected an integer");
  }

  /** Skips a balanced parenthesised group (the cursor is on its "("). */
  skipGroup(): void {
    this.expectSymbol("(");
    let depth = 1;
    while (depth > 0) {
      const token = this.peek();
      if (!token) throw new SqlFault("42601", 'syntax error at end of input: missing ")"');
      this.#at += 1;
      if (token.kind === "symbol" && token.value === "(") depth += 1;
      if (token.kind === "symbol" && token.value === ")") depth -= 1;
    }
  }

  /** Words at parenthesis depth 0 from here on (to spot WHERE, RETURNING...). */
  topLevelWords(): string[] {
    let depth = 0;
    const words: string[] = [];
    for (const token of this.rest()) {
      if (token.kind === "symbol" && token.value === "(") depth += 1;
      else if (token.kind === "symbol" && token.value === ")") depth -= 1;
      else if (token.kind === "word" && depth === 0) words.push(token.value);
    }
    return words;
  }

  expectEnd(): void {
    if (!this.atEnd) throw this.unsupported(`unexpected ${describeToken(this.peek()!)}`);
  }

  unsupported(why: string): SqlFault {
    return unsupported(this.source, why);
  }
}

function describeToken(token: Token): string {
  switch (token.kind) {
    case "param":
      return `$${token.index}`;
    case "string":
      return "a string";
    default:
      return `"${token.value}"`;
  }
}

// ---------------------------------------------------------------- execution

export interface SessionIdentity {
  user: string;
  database: string;
}

export interface StatementResult {
  kind: string;
  rows: Record<string, unknown>[];
  rowCount: number;
  /** Whether it changed the cluster (recorded in its statement log). */
  changed: boolean;
}

/**
 * Runs `text` against `data` (changed in place: callers pass a copy and keep it only when every statement
 * succeeded, as PostgreSQL runs a multi-statement simple query in one transaction).
 */
export function executeSql(
  data: InstantData,
  session: SessionIdentity,
  text: string,
  values?: unknown[],
): StatementResult[] {
  const statements = splitStatements(tokenize(text));
  if (values !== undefined && statements.length > 1) {
    throw new SqlFault("42601", "cannot insert multiple commands into a prepared statement");
  }
  return statements.map((tokens) => {
    const cursor = new Cursor(tokens, values, text);
    return new Execution(data, session, cursor, statements.length > 1).run();
  });
}

const tablePrivileges = [
  "select",
  "insert",
  "update",
  "delete",
  "truncate",
  "references",
  "trigger",
  "maintain",
];
const schemaPrivileges = ["usage", "create"];
const databasePrivileges = ["create", "connect", "temporary"];

class Execution {
  readonly db: InstantDatabase;
  readonly role: InstantRole;

  constructor(
    readonly data: InstantData,
    readonly session: SessionIdentity,
    readonly c: Cursor,
    readonly inTransactionBlock: boolean,
  ) {
    const db = data.databases[session.database];
    const role = data.roles[session.user];
    if (!db) throw new SqlFault("3D000", `database "${session.database}" does not exist`);
    if (!role) throw new SqlFault("28000", `role "${session.user}" does not exist`);
    this.db = db;
    this.role = role;
  }

  run(): StatementResult {
    const c = this.c;
    if (c.acceptWords("select")) return this.select();
    if (c.acceptWords("create", "role")) return this.createRole(false);
    if (c.acceptWords("create", "user")) return this.createRole(true);
    if (c.acceptWords("alter", "role") || c.acceptWords("alter", "user")) return this.alterRole();
    if (c.acceptWords("grant")) return this.grant();
    if (c.acceptWords("create", "database")) return this.createDatabase();
    if (c.acceptWords("create", "schema")) return this.createSchema();
    if (c.acceptWords("create", "table")) return this.createTable();
    if (c.acceptWords("drop", "table")) return this.dropTable();
    if (c.acceptWords("update")) return this.update();
    if (c.acceptWords("delete", "from")) return this.deleteFrom();
    if (c.acceptWords("truncate")) return this.truncate();
    if (c.acceptWords("insert", "into")) return this.insert();
    throw c.unsupported("this kind of statement is not simulated");
  }

  // ------------------------------------------------------------ queries

  select(): StatementResult {
    const c = this.c;
    const result = (rows: Record<string, unknown>[]): StatementResult => ({
      kind: "SELECT",
      rows,
      rowCount: rows.length,
      changed: false,
    });
    if (c.isWord("to_regclass")) {
      c.acceptWords("to_regclass");
      c.expectSymbol("(");
      const name = c.text();
      c.expectSymbol(")");
      c.expectWords("is");
      const negated = c.acceptWords("not");
      c.expectWords("null");
      const column = this.alias() ?? "?column?";
      c.expectEnd();
      const present = this.regclass(name);
      return result([{ [column]: negated ? present : !present }]);
    }
    if (c.isWord("count") && c.isSymbol("(", 1) && c.isSymbol("*", 2) && c.isSymbol(")", 3)) {
      c.acceptWords("count");
      c.skipGroup();
      let asNumber = false;
      if (c.acceptSymbol("::")) {
        const type = c.name();
        if (["int", "integer", "int4"].includes(type)) asNumber = true;
        else if (!["bigint", "int8"].includes(type))
          throw c.unsupported(`a cast to ${type} is not simulated`);
      }
      const comparison = this.comparison();
      const column = this.alias() ?? (comparison ? "?column?" : "count");
      c.expectWords("from");
      const table = this.readable(c.qualifiedName());
      if (!c.atEnd) {
        throw c.unsupported(
          c.isWord("where")
            ? "the rows a WHERE clause selects are not simulated, only each table's row count"
            : `unexpected ${describeToken(c.peek()!)}`,
        );
      }
      const count = table.rows;
      const value = comparison ? comparison(count) : asNumber ? count : String(count);
      return result([{ [column]: value }]);
    }
    if (c.peek()?.kind === "number") {
      const value = Number((c.peek() as { value: string }).value);
      c.integer();
      const column = this.alias() ?? "?column?";
      if (c.atEnd) return result([{ [column]: value }]);
      c.expectWords("from");
      const catalog = c.qualifiedName();
      if (catalog.schema !== undefined && catalog.schema !== "pg_catalog") {
        throw c.unsupported(`${catalog.shown} is not a simulated catalogue`);
      }
      c.expectWords("where");
      if (catalog.name === "pg_roles" || catalog.name === "pg_authid" || catalog.name === "pg_user") {
        c.expectWords(catalog.name === "pg_user" ? "usename" : "rolname");
        c.expectSymbol("=");
        const name = c.text();
        c.expectEnd();
        const found =
          Object.hasOwn(this.data.roles, name) &&
          (catalog.name !== "pg_user" || this.data.roles[name]!.login);
        return result(found ? [{ [column]: value }] : []);
      }
      if (catalog.name === "pg_database") {
        c.expectWords("datname");
        c.expectSymbol("=");
        const name = c.text();
        c.expectEnd();
        return result(Object.hasOwn(this.data.databases, name) ? [{ [column]: value }] : []);
      }
      throw c.unsupported(`${catalog.shown} is not a simulated catalogue`);
    }
    throw c.unsupported("only row counts, to_regclass and role/database lookups are simulated");
  }

  alias(): string | undefined {
    const c = this.c;
    if (c.acceptWords("as")) return c.name();
    return undefined;
  }

  /** `= 0`, `>= 10`...: a predicate on the count. */
  comparison(): ((count: number) => boolean) | undefined {
    const c = this.c;
    const token = c.peek();
    if (token?.kind !== "symbol" || !["=", "<>", "!=", "<", "<=", ">", ">="].includes(token.value)) {
      return undefined;
    }
    c.acceptSymbol(token.value);
    const n = c.integer();
    switch (token.value) {
      case "=":
        return (count) => count === n;
      case "<>":
      case "!=":
        return (count) => count !== n;
      case "<":
        return (count) => count < n;
      case "<=":
        return (count) => count <= n;
      case ">":
        return (count) => count > n;
      default:
        return (count) => count >= n;
    }
  }

  /** to_regclass's text argument, parsed with PostgreSQL's rules for names. */
  regclass(text: string): boolean {
    let tokens: Token[];
    try {
      tokens = tokenize(text);
    } catch {
      throw new SqlFault("42602", `invalid name syntax`);
    }
    const names = tokens.filter((_, i) => i % 2 === 0);
    const dots = tokens.filter((_, i) => i % 2 === 1);
    const valid =
      names.length >= 1 &&
      names.length <= 3 &&
      names.every((t) => t.kind === "word" || t.kind === "quoted") &&
      dots.every((t) => t.kind === "symbol" && t.value === ".") &&
      tokens.length === names.length * 2 - 1;
    if (!valid) throw new SqlFault("42602", "invalid name syntax");
    const parts = names.map((t) => (t as { value: string }).value);
    if (parts.length === 3) {
      if (parts[0] !== this.session.database) {
        throw new SqlFault("0A000", `cross-database references are not implemented: "${text}"`);
      }
      parts.shift();
    }
    const key = parts.length === 2 ? `${parts[0]}.${parts[1]}` : `public.${parts[0]}`;
    return Object.hasOwn(this.db.tables, key);
  }

  // ------------------------------------------------------------ tables and privileges

  tableKey(name: Name): string {
    return `${name.schema ?? "public"}.${name.name}`;
  }

  table(name: Name): InstantTable {
    const table = this.db.tables[this.tableKey(name)];
    if (!table || !Object.hasOwn(this.db.tables, this.tableKey(name))) {
      throw new SqlFault("42P01", `relation "${name.shown}" does not exist`);
    }
    return table;
  }

  /** A table `privilege` may be used on by the session's role (with USAGE on its schema). */
  permitted(name: Name, privilege: string): InstantTable {
    const table = this.table(name);
    if (this.role.superuser || table.owner === this.session.user) return table;
    const schema = name.schema ?? "public";
    if (schema !== "public" && !this.granted("usage", `schema:${schema}`)) {
      throw new SqlFault("42501", `permission denied for schema ${schema}`);
    }
    if (!this.granted(privilege, `table:${this.tableKey(name)}`)) {
      throw new SqlFault("42501", `permission denied for table ${name.name}`);
    }
    return table;
  }

  readable(name: Name): InstantTable {
    return this.permitted(name, "select");
  }

  granted(privilege: string, object: string): boolean {
    return this.db.grants.some(
      (g) =>
        g.object === object &&
        g.privilege === privilege &&
        (g.role === this.session.user || g.role === "public"),
    );
  }

  requireSuperuser(message: string): void {
    if (!this.role.superuser) throw new SqlFault("42501", message);
  }

  // ------------------------------------------------------------ roles

  createRole(login: boolean): StatementResult {
    const name = this.c.name();
    this.requireSuperuser("permission denied to create role");
    if (Object.hasOwn(this.data.roles, name)) throw new SqlFault("42710", `role "${name}" already exists`);
    const role: InstantRole = { login, superuser: false };
    this.roleOptions(role, true);
    this.data.roles[name] = role;
    return { kind: "CREATE ROLE", rows: [], rowCount: 0, changed: true };
  }

  alterRole(): StatementResult {
    const name = this.c.name();
    const role = Object.hasOwn(this.data.roles, name) ? this.data.roles[name] : undefined;
    if (!role) throw new SqlFault("42704", `role "${name}" does not exist`);
    const changed = { ...role };
    const options = this.roleOptions(changed, false);
    const onlyOwnPassword = name === this.session.user && options.every((o) => o === "password");
    if (!this.role.superuser && !onlyOwnPassword)
      throw new SqlFault("42501", "permission denied to alter role");
    this.data.roles[name] = changed;
    return { kind: "ALTER ROLE", rows: [], rowCount: 0, changed: true };
  }

  /** [WITH] LOGIN | NOLOGIN | SUPERUSER | NOSUPERUSER | PASSWORD '...' | PASSWORD NULL; returns their names. */
  roleOptions(role: InstantRole, creating: boolean): string[] {
    const c = this.c;
    c.acceptWords("with");
    const seen: string[] = [];
    while (!c.atEnd) {
      const option = c.name();
      if (seen.includes(option)) throw new SqlFault("42601", "conflicting or redundant options");
      seen.push(option);
      if (option === "login" || option === "nologin") role.login = option === "login";
      else if (option === "superuser" || option === "nosuperuser") {
        this.requireSuperuser("permission denied to create role");
        role.superuser = option === "superuser";
      } else if (option === "password") {
        if (c.acceptWords("null")) delete role.verifier;
        else {
          const password = c.text();
          if (/^md5[0-9a-f]{32}$/.test(password))
            throw c.unsupported("MD5 password hashes are not simulated");
          if (password === "") delete role.verifier;
          else role.verifier = isScramVerifier(password) ? password : scramVerifier(password);
        }
      } else {
        throw c.unsupported(`the role option ${option.toUpperCase()} is not simulated`);
      }
    }
    if (!creating && seen.length === 0) throw new SqlFault("42601", "syntax error at end of input");
    return seen;
  }

  // ------------------------------------------------------------ grants

  grant(): StatementResult {
    const c = this.c;
    let privileges: string[] | "all";
    if (c.acceptWords("all")) {
      c.acceptWords("privileges");
      privileges = "all";
    } else {
      privileges = [];
      do {
        let word = c.name();
        if (word === "temp") word = "temporary";
        if (c.isSymbol("(")) throw c.unsupported("column privileges are not simulated");
        privileges.push(word);
      } while (c.acceptSymbol(","));
    }
    c.expectWords("on");
    let kind: "database" | "schema" | "table";
    let objects: string[];
    if (c.acceptWords("database")) {
      kind = "database";
      objects = this.nameList().map((name) => {
        if (!Object.hasOwn(this.data.databases, name))
          throw new SqlFault("3D000", `database "${name}" does not exist`);
        return `database:${name}`;
      });
    } else if (c.acceptWords("schema")) {
      kind = "schema";
      objects = this.nameList().map((name) => {
        if (!this.db.schemas.includes(name)) throw new SqlFault("3F000", `schema "${name}" does not exist`);
        return `schema:${name}`;
      });
    } else if (c.acceptWords("all", "tables", "in", "schema")) {
      kind = "table";
      objects = this.nameList().flatMap((schema) => {
        if (!this.db.schemas.includes(schema))
          throw new SqlFault("3F000", `schema "${schema}" does not exist`);
        return Object.keys(this.db.tables)
          .filter((key) => key.startsWith(`${schema}.`))
          .map((key) => `table:${key}`);
      });
    } else {
      kind = "table";
      c.acceptWords("table");
      objects = [];
      do {
        const name = c.qualifiedName();
        this.table(name);
        objects.push(`table:${this.tableKey(name)}`);
      } while (c.acceptSymbol(","));
    }
    const allowed = { database: databasePrivileges, schema: schemaPrivileges, table: tablePrivileges }[kind];
    const list = privileges === "all" ? allowed : privileges;
    for (const privilege of list) {
      if (!allowed.includes(privilege)) {
        throw new SqlFault(
          "0LP01",
          `invalid privilege type ${privilege.toUpperCase()} for ${kind === "table" ? "relation" : kind}`,
        );
      }
    }
    c.expectWords("to");
    const grantees: string[] = [];
    do {
      if (c.isWord("public")) {
        c.acceptWords("public");
        grantees.push("public");
        continue;
      }
      const name = c.name();
      if (!Object.hasOwn(this.data.roles, name)) throw new SqlFault("42704", `role "${name}" does not exist`);
      grantees.push(name);
    } while (c.acceptSymbol(","));
    if (!c.atEnd)
      throw c.unsupported(c.isWord("with") ? "WITH GRANT OPTION is not simulated" : "unexpected input");
    // As PostgreSQL: a role that neither owns an object nor is a superuser grants nothing (a warning, no error).
    const grantable = (object: string) =>
      this.role.superuser ||
      (object.startsWith("table:") &&
        this.db.tables[object.slice("table:".length)]?.owner === this.session.user);
    for (const object of objects.filter(grantable)) {
      for (const role of grantees) {
        for (const privilege of list) {
          if (
            !this.db.grants.some((g) => g.role === role && g.object === object && g.privilege === privilege)
          ) {
            this.db.grants.push({ role, privilege, object });
          }
        }
      }
    }
    return { kind: "GRANT", rows: [], rowCount: 0, changed: true };
  }

  nameList(): string[] {
    const names: string[] = [];
    do names.push(this.c.name());
    while (this.c.acceptSymbol(","));
    return names;
  }

  // ------------------------------------------------------------ databases, schemas, tables

  createDatabase(): StatementResult {
    const name = this.c.name();
    this.c.expectEnd();
    if (this.inTransactionBlock)
      throw new SqlFault("25001", "CREATE DATABASE cannot run inside a transaction block");
    this.requireSuperuser("permission denied to create database");
    if (Object.hasOwn(this.data.databases, name))
      throw new SqlFault("42P04", `database "${name}" already exists`);
    this.data.databases[name] = emptyDatabase();
    return { kind: "CREATE DATABASE", rows: [], rowCount: 0, changed: true };
  }

  createSchema(): StatementResult {
    const ifNotExists = this.c.acceptWords("if", "not", "exists");
    const name = this.c.name();
    this.c.expectEnd();
    this.requireSuperuser(`permission denied for database ${this.session.database}`);
    if (this.db.schemas.includes(name)) {
      if (!ifNotExists) throw new SqlFault("42P06", `schema "${name}" already exists`);
    } else {
      this.db.schemas.push(name);
    }
    return { kind: "CREATE SCHEMA", rows: [], rowCount: 0, changed: true };
  }

  createTable(): StatementResult {
    const c = this.c;
    const ifNotExists = c.acceptWords("if", "not", "exists");
    const name = c.qualifiedName();
    if (!c.isSymbol("(")) throw c.unsupported("only CREATE TABLE name (columns) is simulated");
    c.skipGroup();
    c.expectEnd();
    const schema = name.schema ?? "public";
    if (!this.db.schemas.includes(schema)) throw new SqlFault("3F000", `schema "${schema}" does not exist`);
    if (!this.role.superuser && !this.granted("create", `schema:${schema}`)) {
      throw new SqlFault("42501", `permission denied for schema ${schema}`);
    }
    const key = this.tableKey(name);
    if (Object.hasOwn(this.db.tables, key)) {
      if (!ifNotExists) throw new SqlFault("42P07", `relation "${name.name}" already exists`);
    } else {
      this.db.tables[key] = { rows: 0, owner: this.session.user };
    }
    return { kind: "CREATE TABLE", rows: [], rowCount: 0, changed: true };
  }

  dropTable(): StatementResult {
    const c = this.c;
    const ifExists = c.acceptWords("if", "exists");
    const names: Name[] = [];
    do names.push(c.qualifiedName());
    while (c.acceptSymbol(","));
    c.acceptWords("cascade") || c.acceptWords("restrict");
    c.expectEnd();
    for (const name of names) {
      const key = this.tableKey(name);
      const table = Object.hasOwn(this.db.tables, key) ? this.db.tables[key] : undefined;
      if (!table) {
        if (ifExists) continue;
        throw new SqlFault("42P01", `table "${name.name}" does not exist`);
      }
      if (!this.role.superuser && table.owner !== this.session.user) {
        throw new SqlFault("42501", `must be owner of table ${name.name}`);
      }
      delete this.db.tables[key];
      this.db.grants = this.db.grants.filter((g) => g.object !== `table:${key}`);
    }
    return { kind: "DROP TABLE", rows: [], rowCount: 0, changed: true };
  }

  // ------------------------------------------------------------ data changes

  update(): StatementResult {
    const c = this.c;
    c.acceptWords("only");
    const name = c.qualifiedName();
    const words = c.topLevelWords();
    if (!words.includes("set")) throw c.unsupported("expected SET");
    for (const word of ["where", "from", "returning"]) {
      if (words.includes(word)) {
        throw c.unsupported(
          word === "where"
            ? "the rows a WHERE clause selects are not simulated, only each table's row count"
            : `UPDATE ... ${word.toUpperCase()} is not simulated`,
        );
      }
    }
    const table = this.permitted(name, "update");
    return { kind: "UPDATE", rows: [], rowCount: table.rows, changed: true };
  }

  deleteFrom(): StatementResult {
    const c = this.c;
    c.acceptWords("only");
    const name = c.qualifiedName();
    if (!c.atEnd) {
      throw c.unsupported(
        c.isWord("where")
          ? "the rows a WHERE clause selects are not simulated, only each table's row count"
          : "only DELETE FROM table is simulated",
      );
    }
    const table = this.permitted(name, "delete");
    const deleted = table.rows;
    table.rows = 0;
    return { kind: "DELETE", rows: [], rowCount: deleted, changed: true };
  }

  truncate(): StatementResult {
    const c = this.c;
    c.acceptWords("table");
    const tables: InstantTable[] = [];
    do {
      c.acceptWords("only");
      tables.push(this.permitted(c.qualifiedName(), "truncate"));
    } while (c.acceptSymbol(","));
    c.acceptWords("restart", "identity") || c.acceptWords("continue", "identity");
    c.acceptWords("cascade") || c.acceptWords("restrict");
    c.expectEnd();
    for (const table of tables) table.rows = 0;
    return { kind: "TRUNCATE", rows: [], rowCount: 0, changed: true };
  }

  insert(): StatementResult {
    const c = this.c;
    const name = c.qualifiedName();
    if (c.isSymbol("(")) c.skipGroup();
    let added = 0;
    if (c.acceptWords("default", "values")) {
      added = 1;
    } else {
      c.expectWords("values");
      do {
        if (!c.isSymbol("(")) throw c.unsupported("expected a row in parentheses");
        c.skipGroup();
        added += 1;
      } while (c.acceptSymbol(","));
    }
    if (!c.atEnd) throw c.unsupported("only INSERT ... VALUES without ON CONFLICT or RETURNING is simulated");
    const table = this.permitted(name, "insert");
    table.rows += added;
    return { kind: "INSERT", rows: [], rowCount: added, changed: true };
  }
}

/** The statement's text for the cluster's log, with any role password replaced (even a verifier). */
export function redactPasswords(text: string): string {
  return text.replace(/(PASSWORD\s+)(E?'(?:[^']|'')*')/gi, "$1'***'");
}
