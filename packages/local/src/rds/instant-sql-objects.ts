import type { StatementResult } from "./instant-sql-context";
import type { Name } from "./instant-sql-cursor";
import { SqlFault } from "./instant-sql-fault";
import { RoleStatements } from "./instant-sql-roles";
import { emptyDatabase, type InstantTable } from "./instant-store";

/** Statements on databases, schemas and tables: CREATE/DROP, UPDATE, DELETE, TRUNCATE, INSERT. */
export class ObjectStatements extends RoleStatements {
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
