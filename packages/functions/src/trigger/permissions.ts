import type { PermissionContext, PolicyStatement } from "@aurora-restore/core/wiring/stage-declaration";
import { publishStatements, sourceStatements, storageStatements } from "../shared/permissions";

/** Finds the source snapshot (by event, or by date for a manual request) and starts operations. */
export function permissions(context: PermissionContext): PolicyStatement[] {
  return [
    ...storageStatements(context),
    ...publishStatements(context, "trigger"),
    ...sourceStatements(context, ["read"]),
  ];
}
