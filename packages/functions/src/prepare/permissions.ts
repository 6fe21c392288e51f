import type { PermissionContext, PolicyStatement } from "@aurora-restore/core/wiring/stage-declaration";
import { publishStatements, sourceStatements, storageStatements } from "../shared/permissions";

/** Makes a shareable copy under the source's customer key and shares it, in the source account. */
export function permissions(context: PermissionContext): PolicyStatement[] {
  return [
    ...storageStatements(context),
    ...publishStatements(context, "prepare"),
    ...sourceStatements(context, ["read", "share"]),
  ];
}
