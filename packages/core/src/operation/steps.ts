import type { StageName } from "../events/shapes";

/**
 * An operation's steps, in the only order they may happen. A transition names the step it expects the
 * operation to be at; the store writes it conditionally on that step and the version, so a duplicate or a
 * replayed event can neither move an operation twice nor move it backwards.
 */
export const operationSteps = [
  "requested",
  "preparing-snapshot",
  "snapshot-available",
  "copying",
  "copy-completed",
  "restoring",
  "cluster-created",
  "creating-instances",
  "cluster-available",
  "configuring",
  "configured",
  "verifying",
  "verified",
  "cutting-over",
  "old-moved-away",
  "new-moved-in",
  "completed",
  "rolling-back",
  "failed",
] as const;

export type OperationStep = (typeof operationSteps)[number];
export type OperationStatus = "running" | "succeeded" | "failed";

/** The stage that owns each step (for durations, audit and error reports). */
export const stageOfStep: Record<OperationStep, StageName> = {
  requested: "trigger",
  "preparing-snapshot": "prepare",
  "snapshot-available": "prepare",
  copying: "copy",
  "copy-completed": "copy",
  restoring: "restore",
  "cluster-created": "restore",
  "creating-instances": "restore",
  "cluster-available": "restore",
  configuring: "configure",
  configured: "configure",
  verifying: "verify",
  verified: "verify",
  "cutting-over": "cutover",
  "old-moved-away": "cutover",
  "new-moved-in": "cutover",
  completed: "cutover",
  "rolling-back": "cutover",
  failed: "cutover",
};

export const terminalSteps: ReadonlySet<OperationStep> = new Set(["completed", "failed"]);

export function stepIndex(step: OperationStep): number {
  return operationSteps.indexOf(step);
}

/** Forward only; `failed` is reachable from any non-terminal step; rollback only from cutover steps. */
export function canMove(from: OperationStep, to: OperationStep): boolean {
  if (terminalSteps.has(from)) return false;
  if (to === "failed") return true;
  if (to === "rolling-back") return stageOfStep[from] === "cutover";
  if (from === "rolling-back") return false;
  return stepIndex(to) > stepIndex(from);
}

export function statusOfStep(step: OperationStep): OperationStatus {
  if (step === "completed") return "succeeded";
  if (step === "failed") return "failed";
  return "running";
}
