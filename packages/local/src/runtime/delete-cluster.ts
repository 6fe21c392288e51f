import { resourceNames, targetKeyOf } from "@aurora-restore/core/operation/ids";
import type { Plan } from "@aurora-restore/core/plan/index";
import {
  type AccountRegion,
  type AwsErrorCode,
  isAwsCallError,
  type RdsPort,
} from "@aurora-restore/core/ports/index";
import type { OperationInfo } from "@aurora-restore/core/storage/operations";
import { operationTagKey } from "./local-clusters";
import type { LocalRuntime } from "./start-local-runtime";

export interface ClusterRef extends AccountRegion {
  clusterIdentifier: string;
}

export interface DeletedCluster extends ClusterRef {
  instances: string[];
  /** It had deletion protection (a plan's setting), turned off to delete it. */
  deletionProtectionRemoved: boolean;
}

/** Refused: a running operation may still read, restore into or rename this cluster. */
export class ClusterInUseError extends Error {
  override name = "ClusterInUseError";
}

/**
 * The clusters a running operation may touch, as target keys: its plan's source (prepare snapshots from
 * it), its target, the cluster it restores (`<target>-next`) and the one cutover moves the target away to.
 */
export function clustersUsedBy(operation: OperationInfo, plan: Plan | undefined): string[] {
  const target = operation.target;
  const names = resourceNames(operation.operationId, target.clusterIdentifier);
  const at = (clusterIdentifier: string) => targetKeyOf({ ...target, clusterIdentifier });
  return [
    ...(plan ? [targetKeyOf(plan.source)] : []),
    at(target.clusterIdentifier),
    at(names.nextCluster),
    at(names.oldCluster),
  ];
}

/** The running operations that use `cluster` (see clustersUsedBy, and the operation tag the cluster carries). */
export async function operationsUsing(
  runtime: Pick<LocalRuntime, "store" | "plans">,
  cluster: ClusterRef & { tags?: Record<string, string> },
): Promise<string[]> {
  const key = targetKeyOf(cluster);
  const using: string[] = [];
  for (const operation of await runtime.store.listByStatus("running")) {
    const plan = await runtime.plans.get(operation.planId).catch(() => undefined);
    const tagged = cluster.tags?.[operationTagKey] === operation.operationId;
    if (tagged || clustersUsedBy(operation, plan).includes(key)) using.push(operation.operationId);
  }
  return using;
}

async function waitUntilGone(
  describe: () => Promise<unknown>,
  notFound: AwsErrorCode,
  what: string,
): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await describe();
    } catch (error) {
      if (isAwsCallError(error, notFound)) return;
      throw error;
    }
    if (Date.now() > deadline) throw new Error(`${what} is still there after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Deletes a local cluster as a person would in the console: its instances, then the cluster, whose server
 * stops and whose data is removed; deletion protection is turned off first. Refused with ClusterInUseError
 * while a running operation uses it.
 */
export async function deleteLocalCluster(runtime: LocalRuntime, ref: ClusterRef): Promise<DeletedCluster> {
  const port: RdsPort = runtime.rds.port(ref);
  const cluster = await port.describeCluster(ref.clusterIdentifier);
  const id = cluster.identifier;
  const using = await operationsUsing(runtime, {
    ...ref,
    clusterIdentifier: id,
    tags: cluster.settings?.tags,
  });
  if (using.length > 0) {
    throw new ClusterInUseError(
      `${id} (${ref.accountId}, ${ref.region}) is in use by running operation ${using.join(", ")}: wait for it to end ('aurora-restore operations show ${using[0]}'), then delete it`,
    );
  }
  const deletionProtectionRemoved = cluster.settings?.deletionProtection === true;
  if (deletionProtectionRemoved)
    await port.modifyCluster({ clusterIdentifier: id, deletionProtection: false });
  const instances = cluster.members.map((m) => m.instanceIdentifier);
  for (const instance of instances) {
    const described = await port.describeInstance(instance);
    if (described.status !== "deleting") await port.deleteInstance(instance);
  }
  for (const instance of instances) {
    await waitUntilGone(
      () => port.describeInstance(instance),
      "DBInstanceNotFoundFault",
      `Instance ${instance}`,
    );
  }
  await port.deleteCluster({ clusterIdentifier: id });
  await waitUntilGone(() => port.describeCluster(id), "DBClusterNotFoundFault", `Cluster ${id}`);
  return { ...ref, clusterIdentifier: id, instances, deletionProtectionRemoved };
}
