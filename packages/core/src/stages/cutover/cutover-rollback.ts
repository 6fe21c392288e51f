import { ClusterRenamed } from "../../events/domain";
import { resourceNames } from "../../operation/ids";
import { isAwsCallError } from "../../ports/errors";
import type { OperationInfo } from "../../storage/operations";
import { advance } from "../kit/advance";
import { audit } from "../kit/audit";
import { targetScope } from "../kit/claim";
import { type InstanceRename, numberedRenames, renameCluster } from "../kit/cluster-swap";
import type { StageDeps } from "../kit/deps";
import { errorCodeOf, errorMessageOf } from "../kit/errors";
import { failOperation } from "../kit/fail";
import { startWatch } from "../kit/watches";

export class CutoverRolledBackError extends Error {
  override name = "CutoverRolledBackError";
  readonly code: string;
  constructor(operation: OperationInfo) {
    const names = resourceNames(operation.operationId, operation.target.clusterIdentifier);
    const target = operation.target.clusterIdentifier;
    const left =
      operation.outputs.oldClusterExisted === true
        ? `${target} is the old cluster again, unchanged`
        : `${target} did not exist before and still does not`;
    super(
      `${String(operation.outputs.rollbackMessage ?? "Cutover failed.")} The cutover was rolled back: ${left}; ` +
        `the restored cluster stays as ${names.nextCluster} for inspection (delete it before the next restore).`,
    );
    this.code = String(operation.outputs.rollbackCode ?? "CutoverFailed");
  }
}

export function oldInstanceRenames(operation: OperationInfo): InstanceRename[] {
  const original = (operation.outputs.oldInstances ?? []) as string[];
  const moved = (operation.outputs.oldInstancesMoved ?? []) as string[];
  return original.map((from, i) => ({ from, to: moved[i] ?? from }));
}

/**
 * The watcher reports the rename as ClusterRenamed(step); this stage makes the transition itself. Undefined
 * when the operation moved on before the watch was recorded (the caller stops).
 */
export async function watchRename(
  deps: StageDeps,
  operation: OperationInfo,
  step: "old-moved-away" | "new-moved-in" | "rolled-back",
  input: { resource: string; previousIdentifier: string; instances: string[] },
): Promise<OperationInfo | undefined> {
  return startWatch(deps, operation, {
    watchId: `cluster-renamed:${step}`,
    kind: "cluster-renamed",
    scope: targetScope(operation),
    resource: input.resource,
    publish: ClusterRenamed,
    atStep: operation.step,
    renameStep: step,
    previousIdentifier: input.previousIdentifier,
    instances: input.instances,
  });
}

/**
 * Puts names back after a failure before the restored cluster holds the target name: the restored
 * cluster's instances first (they may hold names the old instances need), then the old cluster. Waits for
 * the watcher when a cluster rename was requested; otherwise fails the operation now.
 */
export async function rollBack(deps: StageDeps, operation: OperationInfo, eventId: string, cause: unknown) {
  const { target } = operation;
  const names = resourceNames(operation.operationId, target.clusterIdentifier);
  const code = errorCodeOf(cause);
  const message = `Cutover failed at ${operation.step}: ${errorMessageOf(cause)}.`;
  const rolling = await advance(deps, operation, {
    to: "rolling-back",
    eventId,
    action: "roll-back",
    outputs: { rollbackCode: code, rollbackMessage: message },
  });
  if (!rolling) return;
  await audit(deps, rolling, {
    stage: "cutover",
    action: "roll-back",
    outcome: "started",
    eventId,
    details: { code, message },
  });
  const rds = deps.rds(targetScope(rolling));
  let clusterRenameRequested = false;
  try {
    const next = await rds.describeCluster(names.nextCluster).catch((error: unknown) => {
      if (isAwsCallError(error, "DBClusterNotFoundFault")) return undefined;
      throw error;
    });
    for (const rename of numberedRenames(
      (next?.members ?? []).map((m) => m.instanceIdentifier),
      target.clusterIdentifier,
      names.nextCluster,
    ).filter((r) => r.from.startsWith(`${target.clusterIdentifier}-`))) {
      await rds.renameInstance({ instanceIdentifier: rename.from, newInstanceIdentifier: rename.to });
    }
    if (rolling.outputs.oldClusterExisted === true) {
      const back = oldInstanceRenames(rolling).map((r) => ({ from: r.to, to: r.from }));
      const result = await renameCluster(rds, {
        from: names.oldCluster,
        to: target.clusterIdentifier,
        instances: back,
      });
      clusterRenameRequested = result.clusterRenameRequested;
    }
  } catch (error) {
    await failOperation(
      deps,
      rolling,
      "cutover",
      Object.assign(new Error(`${message} Renaming back also failed: ${errorMessageOf(error)}`), { code }),
      eventId,
      `Fix by hand: the old cluster must be named ${target.clusterIdentifier} (it may be ${names.oldCluster}) and the restored one ${names.nextCluster}; aws rds modify-db-cluster --db-cluster-identifier <current> --new-db-cluster-identifier <name> --apply-immediately.`,
    );
    return;
  }
  if (clusterRenameRequested) {
    await watchRename(deps, rolling, "rolled-back", {
      resource: target.clusterIdentifier,
      previousIdentifier: names.oldCluster,
      instances: oldInstanceRenames(rolling).map((r) => r.from),
    });
    return;
  }
  await failOperation(deps, rolling, "cutover", new CutoverRolledBackError(rolling), eventId);
}
