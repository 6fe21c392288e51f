import type { Cursor, Name } from "./instant-sql-cursor";
import { SqlFault } from "./instant-sql-fault";
import type { InstantData, InstantDatabase, InstantRole, InstantTable } from "./instant-store";

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
 * What every statement runs with: the session's database and role, and the lookups and privilege checks
 * statements share. The statements themselves build on it by family (instant-sql-roles.ts,
 * instant-sql-objects.ts, instant-sql.ts), one class a family so each stays readable.
 */
export class ExecutionContext {
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

  nameList(): string[] {
    const names: string[] = [];
    do names.push(this.c.name());
    while (this.c.acceptSymbol(","));
    return names;
  }
}
