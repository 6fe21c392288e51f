import type { OperationInfo } from "../../storage/operations";

/**
 * The restored cluster's instances, as restore records them with its first claim (outputs.nextInstances):
 * restore creates exactly these, cutover renames them without describing the cluster first.
 */
export const NEXT_INSTANCES = "nextInstances";

/** The recorded instance names, or undefined (an operation restored before they were recorded). */
export function recordedNextInstances(operation: Pick<OperationInfo, "outputs">): string[] | undefined {
  const recorded = operation.outputs[NEXT_INSTANCES];
  return Array.isArray(recorded) && recorded.length > 0 ? recorded : undefined;
}
