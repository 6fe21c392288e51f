import { createPgDatabase } from "@aurora-restore/aws/postgres";
import { databaseTimeouts } from "../../shared/deploy/function-settings";
import type { AwsPortAdapter } from "./port-adapter";

/**
 * PostgreSQL over pg. Every statement has a statement_timeout, and a session's statements together stay
 * inside the function's timeout (shared/deploy/function-settings.ts).
 */
export const awsDatabasePort: AwsPortAdapter<"database"> = () =>
  createPgDatabase({
    connectTimeoutMs: databaseTimeouts.connectMs,
    statementTimeoutMs: databaseTimeouts.statementMs,
    sessionBudgetMs: databaseTimeouts.sessionBudgetMs,
  });
