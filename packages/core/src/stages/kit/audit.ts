import type { StageName } from "../../events/shapes";
import type { ComplianceProfile } from "../../plan/schema";
import type { AuditOutcome } from "../../storage/audit-entity";
import type { OperationInfo } from "../../storage/operations";
import { recordAudit } from "./audit-buffer";
import type { StageDeps } from "./deps";
import { now } from "./publish";

/**
 * The retention of the operation's audit entries: the compliance profile recorded when it started. An
 * operation from before that was recorded reads its plan; when that fails, the audit write fails (and the
 * delivery retries) rather than silently keeping entries for a shorter time than the plan requires.
 */
async function complianceOf(
  deps: StageDeps,
  operation: Pick<OperationInfo, "planId" | "compliance">,
): Promise<ComplianceProfile> {
  if (operation.compliance) return operation.compliance;
  return (await deps.plans.get(operation.planId)).compliance;
}

/** Records an action in the audit trail (kept for the delivery's one item: see audit-buffer.ts). */
export async function audit(
  deps: StageDeps,
  operation: Pick<OperationInfo, "operationId" | "targetKey" | "planId" | "compliance">,
  entry: {
    stage: StageName;
    action: string;
    outcome: AuditOutcome;
    eventId?: string;
    details?: Record<string, unknown>;
  },
): Promise<void> {
  await recordAudit(
    deps.audit,
    {
      operationId: operation.operationId,
      targetKey: operation.targetKey,
      actor: deps.actor,
      ...entry,
      at: now(deps),
    },
    await complianceOf(deps, operation),
  );
}
