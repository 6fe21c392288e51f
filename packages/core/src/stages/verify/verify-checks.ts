import type { PlanCheck } from "../../plan/schema";
import type { DbSession } from "../../ports/database";
import { errorCodeOf, errorMessageOf } from "../kit/errors";

export interface CheckResult {
  name: string;
  passed: boolean;
  detail?: string;
}

/** Runs one plan check; a query error is a failed check (with its SQLSTATE), never a crash of the stage. */
export async function runCheck(session: DbSession, check: PlanCheck): Promise<CheckResult> {
  try {
    switch (check.type) {
      case "table-exists":
        return await tableExists(session, check);
      case "row-count":
        return await rowCount(session, check);
      case "sql":
        return await sqlAssertion(session, check);
    }
  } catch (error) {
    return { name: check.name, passed: false, detail: `${errorCodeOf(error)}: ${errorMessageOf(error)}` };
  }
}

async function tableExists(session: DbSession, check: Extract<PlanCheck, { type: "table-exists" }>) {
  const { rows } = await session.query<{ present: boolean }>(
    "SELECT to_regclass($1) IS NOT NULL AS present",
    [check.table],
  );
  const passed = rows[0]?.present === true;
  return { name: check.name, passed, detail: `${check.table} ${passed ? "exists" : "does not exist"}` };
}

/** "schema.table" or "table", each part quoted on its own (a dot inside quotes would be one name). */
export function qualifiedTable(session: DbSession, table: string): string {
  const parts = table.split(".");
  if (parts.length > 2 || parts.some((p) => p.length === 0)) {
    throw new Error(`"${table}" is not a table name; write it as table or schema.table`);
  }
  return parts.map((p) => session.escapeIdentifier(p)).join(".");
}

async function rowCount(session: DbSession, check: Extract<PlanCheck, { type: "row-count" }>) {
  const { rows } = await session.query<{ count: string | number }>(
    `SELECT count(*) AS count FROM ${qualifiedTable(session, check.table)}`,
  );
  const count = Number(rows[0]?.count);
  const aboveMin = check.min === undefined || count >= check.min;
  const belowMax = check.max === undefined || count <= check.max;
  const bounds = [check.min !== undefined && `>= ${check.min}`, check.max !== undefined && `<= ${check.max}`]
    .filter(Boolean)
    .join(" and ");
  return {
    name: check.name,
    passed: Number.isFinite(count) && aboveMin && belowMax,
    detail: `${check.table} has ${count} rows (expected ${bounds})`,
  };
}

async function sqlAssertion(session: DbSession, check: Extract<PlanCheck, { type: "sql" }>) {
  const { rows } = await session.query(check.sql);
  const values = rows.length === 1 && rows[0] ? Object.values(rows[0]) : [];
  if (rows.length !== 1 || values.length !== 1 || typeof values[0] !== "boolean") {
    return {
      name: check.name,
      passed: false,
      detail: `expected one row with one boolean column, got ${rows.length} row(s) with ${values.length === 1 ? typeof values[0] : `${values.length} column(s)`}`,
    };
  }
  const passed = values[0] === true;
  return { name: check.name, passed, detail: passed ? "returned true" : "returned false" };
}
