import { isScramVerifier, scramVerifier } from "./credentials";
import { ExecutionContext, type StatementResult } from "./instant-sql-context";
import { SqlFault } from "./instant-sql-fault";
import type { InstantRole } from "./instant-store";

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

/** Role statements (CREATE ROLE/USER, ALTER ROLE/USER) and GRANT. */
export class RoleStatements extends ExecutionContext {
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
}
