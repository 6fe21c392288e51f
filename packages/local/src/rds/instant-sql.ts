import type { SessionIdentity, StatementResult } from "./instant-sql-context";
import { Cursor, describeToken } from "./instant-sql-cursor";
import { SqlFault } from "./instant-sql-fault";
import { ObjectStatements } from "./instant-sql-objects";
import { splitStatements, type Token, tokenize } from "./instant-sql-tokens";
import type { InstantData } from "./instant-store";

/**
 * The SQL an instant cluster understands: what the pipeline's stages send (role and grant statements, the
 * lookups and checks verify runs, simple post-restore statements) plus what loads a catalogue (CREATE
 * TABLE, INSERT ... VALUES). Answers come from the cluster's roles and table catalogue, with PostgreSQL's
 * SQLSTATEs and privilege rules for what is modelled; anything else is refused with 0A000 naming the
 * statement, never answered with a made-up result.
 */

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

class Execution extends ObjectStatements {
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
}

/** The statement's text for the cluster's log, with any role password replaced (even a verifier). */
export function redactPasswords(text: string): string {
  return text.replace(/(PASSWORD\s+)(E?'(?:[^']|'')*')/gi, "$1'***'");
}
