import type { CountedPort, PortCall } from "./port-counters";

/**
 * The port calls that change something outside the pipeline's tables (reads, describes and PutEvents do
 * not): the reliability suites expect each once per refresh, and a replay of completed work expects none.
 */
export const sideEffects: Record<CountedPort, ReadonlySet<string>> = {
  rds: new Set([
    "createClusterSnapshot",
    "copyClusterSnapshot",
    "shareClusterSnapshot",
    "deleteClusterSnapshot",
    "restoreClusterFromSnapshot",
    "cloneCluster",
    "createInstance",
    "modifyCluster",
    "renameInstance",
    "deleteInstance",
    "deleteCluster",
  ]),
  kms: new Set(["createGrant"]),
  secrets: new Set(["createSecret", "putSecretValue", "updateSecretVersionStage"]),
  sns: new Set(["publish"]),
  events: new Set(),
  database: new Set(["CREATE ROLE", "ALTER ROLE", "GRANT", "UPDATE", "INSERT", "DELETE"]),
};

export function isSideEffect(call: Pick<PortCall, "port" | "call">): boolean {
  return sideEffects[call.port].has(call.call);
}

/** Successful side-effect calls, as `port.call` -> count. */
export function sideEffectTotals(calls: readonly PortCall[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const call of calls) {
    if (!call.ok || !isSideEffect(call)) continue;
    const key = `${call.port}.${call.call}`;
    totals[key] = (totals[key] ?? 0) + 1;
  }
  return totals;
}
