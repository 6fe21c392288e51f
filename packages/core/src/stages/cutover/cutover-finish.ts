import { RestoreCompleted } from "../../events/domain";
import { resourceNames, targetKeyOf } from "../../operation/ids";
import type { RdsPort } from "../../ports/rds";
import type { OperationInfo } from "../../storage/operations";
import { advance } from "../kit/advance";
import { audit } from "../kit/audit";
import { isRetryable, targetScope } from "../kit/claim";
import { deleteClusterWithInstances } from "../kit/cluster-swap";
import { credentialVersionId, promoteCredentials } from "../kit/credentials";
import type { StageDeps } from "../kit/deps";
import { errorCodeOf, errorMessageOf } from "../kit/errors";
import { failOperation } from "../kit/fail";
import { handOff, handoffOf } from "../kit/handoff";
import { ensureOwner, isLeaseLost } from "../kit/lease";
import { pipelineMetrics } from "../kit/metrics";
import { metaFor } from "../kit/publish";
import { runKeyOf } from "../kit/retry-run";

/**
 * At new-moved-in: the credentials configure staged become AWSCURRENT with the target's endpoint (until now
 * AWSCURRENT still served the old cluster), the old cluster goes, the operation completes. The endpoint is
 * the one ClusterRenamed carries (the watcher described the cluster under the target's name to announce
 * it); an event from before it carried one: described here.
 */
export async function finishCutover(
  deps: StageDeps,
  operation: OperationInfo,
  eventId: string,
  announced?: { host: string; port: number },
): Promise<void> {
  const { target } = operation;
  const names = resourceNames(operation.operationId, target.clusterIdentifier);
  const scope = targetScope(operation);
  const rds = deps.rds(scope);
  const step = (action: string, outcome: "succeeded" | "failed", details: Record<string, unknown>) =>
    audit(deps, operation, { stage: "cutover", action, outcome, eventId, details });

  let endpoint: { host: string; port: number } | undefined;
  try {
    endpoint = announced ?? (await describeEndpoint(rds, target.clusterIdentifier));
    const secretArns = [
      operation.outputs.masterSecretArn,
      ...((operation.outputs.applicationSecretArns ?? []) as string[]),
    ].filter((arn): arn is string => typeof arn === "string");
    const secrets = deps.secrets(scope);
    for (const secretArn of secretArns) {
      await ensureOwner(deps, operation);
      const { changed, promotedPending } = await promoteCredentials(
        secrets,
        secretArn,
        endpoint,
        credentialVersionId(runKeyOf(operation), `${secretArn}#promoted`),
      );
      await step("promote-secret", "succeeded", {
        secretArn,
        host: endpoint.host,
        port: endpoint.port,
        changed,
        promotedPending,
      });
    }
  } catch (error) {
    if (isRetryable(error) || isLeaseLost(error)) throw error;
    await failOperation(
      deps,
      operation,
      "cutover",
      error,
      eventId,
      `The restored cluster already serves ${target.clusterIdentifier}, but its secrets were not all promoted: ` +
        `in each secret still holding an AWSPENDING version, that version has the new credentials; store them ` +
        `with host ${endpoint?.host ?? `the cluster endpoint of ${target.clusterIdentifier}`} as AWSCURRENT and remove the AWSPENDING label ` +
        "(cleanup leaves those labels in place)." +
        (operation.outputs.oldClusterExisted === true
          ? ` The old cluster is kept as ${names.oldCluster}.`
          : ""),
    );
    return;
  }

  let oldClusterDeleted = false;
  if (operation.outputs.oldClusterExisted === true) {
    const plan = await deps.plans.get(operation.planId).catch(() => undefined);
    const finalSnapshot = plan?.targets.find((t) => t.clusterIdentifier === target.clusterIdentifier)
      ?.finalSnapshotOnDelete
      ? `${names.oldCluster}-final`
      : undefined;
    try {
      const result = await deleteClusterWithInstances(rds, names.oldCluster, finalSnapshot);
      oldClusterDeleted = true;
      await step("delete-old-cluster", "succeeded", {
        clusterIdentifier: names.oldCluster,
        result,
        finalSnapshot,
      });
    } catch (error) {
      if (isRetryable(error)) throw error;
      // The refresh itself succeeded; cleanup tries the deletion again.
      await step("delete-old-cluster", "failed", {
        clusterIdentifier: names.oldCluster,
        code: errorCodeOf(error),
        message: errorMessageOf(error),
      });
    }
  }

  const outcome = {
    ...metaFor(deps, operation, eventId),
    planId: operation.planId,
    target,
    endpoint,
    ...(operation.outputs.oldClusterExisted === true ? { replacedClusterIdentifier: names.oldCluster } : {}),
  };
  const completed = await advance(deps, operation, {
    to: "completed",
    eventId,
    action: "completed",
    // The outbox entry of RestoreCompleted: notify and cleanup still get it if this process dies before publishing.
    handoff: handoffOf(deps, "completed", RestoreCompleted, outcome, operation),
    outputs: {
      endpointHost: endpoint.host,
      endpointPort: endpoint.port,
      oldClusterDeleted,
      ...(operation.outputs.oldClusterExisted === true
        ? { replacedClusterIdentifier: names.oldCluster }
        : {}),
    },
  });
  if (!completed) return;
  await deps.store.releaseLock(targetKeyOf(target), operation.operationId);
  await step("completed", "succeeded", { endpoint: endpoint.host });
  deps.metrics.count(pipelineMetrics.succeeded, 1, { stage: "cutover" });
  // Through the recorded handoff: a failed publish is marked, so the bus's retry publishes it again.
  await handOff(deps, completed, RestoreCompleted, outcome);
}

async function describeEndpoint(
  rds: RdsPort,
  clusterIdentifier: string,
): Promise<{ host: string; port: number }> {
  const cluster = await rds.describeCluster(clusterIdentifier);
  if (!cluster.endpoint || !cluster.port) {
    throw new Error(`${clusterIdentifier} reports no endpoint yet (status ${cluster.status})`);
  }
  return { host: cluster.endpoint, port: cluster.port };
}
