import { isAwsCallError } from "../../ports/errors";
import type { DbCluster, RdsPort } from "../../ports/rds";

/** One instance rename of a cluster swap. */
export interface InstanceRename {
  from: string;
  to: string;
}

/** Describes a cluster that may be under either of two names (a rename may already have happened). */
export async function describeEither(
  rds: RdsPort,
  first: string,
  second: string,
): Promise<{ cluster: DbCluster; under: string }> {
  try {
    return { cluster: await rds.describeCluster(first), under: first };
  } catch (error) {
    if (!isAwsCallError(error, "DBClusterNotFoundFault")) throw error;
    return { cluster: await rds.describeCluster(second), under: second };
  }
}

/** What a caller already knows of the cluster it renames: the name it answers to and its instances. */
export interface KnownCluster {
  under: string;
  members: string[];
}

/**
 * Renames a cluster's instances, then the cluster (ModifyDBInstance / ModifyDBCluster with a new
 * identifier; both asynchronous, the watcher reports when the cluster answers to the new name). Safe to
 * repeat: instances already renamed are skipped, and a cluster found under `to` is not renamed again.
 * `known` skips the describe: the caller has just described the cluster, or knows what it holds (then a
 * name that is not there fails with a NotFound fault, and the caller describes). Returns whether a
 * cluster rename was requested now.
 */
export async function renameCluster(
  rds: RdsPort,
  input: { from: string; to: string; instances: InstanceRename[]; known?: KnownCluster },
): Promise<{ clusterRenameRequested: boolean; instancesRenamed: InstanceRename[] }> {
  const { members: memberList, under } =
    input.known ?? knownOf(await describeEither(rds, input.from, input.to));
  const members = new Set(memberList);
  const instancesRenamed = input.instances.filter((r) => r.from !== r.to && members.has(r.from));
  for (const rename of instancesRenamed) {
    await rds.renameInstance({ instanceIdentifier: rename.from, newInstanceIdentifier: rename.to });
  }
  if (under !== input.from) return { clusterRenameRequested: false, instancesRenamed };
  await rds.modifyCluster({ clusterIdentifier: input.from, newClusterIdentifier: input.to });
  return { clusterRenameRequested: true, instancesRenamed };
}

export function knownOf({ cluster, under }: { cluster: DbCluster; under: string }): KnownCluster {
  return { under, members: cluster.members.map((m) => m.instanceIdentifier) };
}

/**
 * Renames numbered instances `<from>-<n>` to `<to>-<n>` (the names restore gives); members named
 * otherwise take the lowest free `<to>-<n>`. The same answer on a retry after a partial rename.
 */
export function numberedRenames(members: string[], from: string, to: string): InstanceRename[] {
  const numberOf = (name: string, prefix: string) => {
    const match = name.startsWith(`${prefix}-`) ? /^(\d+)$/.exec(name.slice(prefix.length + 1)) : null;
    return match ? Number(match[1]) : undefined;
  };
  const taken = new Set(members.map((m) => numberOf(m, to)).filter((n) => n !== undefined));
  const renames: InstanceRename[] = [];
  for (const member of [...members].sort()) {
    if (numberOf(member, to) !== undefined) continue;
    let n = numberOf(member, from);
    if (n === undefined || taken.has(n)) {
      n = 1;
      while (taken.has(n)) n += 1;
    }
    taken.add(n);
    renames.push({ from: member, to: `${to}-${n}` });
  }
  return renames;
}

/**
 * Deletes a cluster, its instances first (RDS refuses to delete a cluster with live instances), with an
 * optional final snapshot. A cluster already gone or already deleting is fine. A cluster with deletion
 * protection (the replaced target kept the protection it had; a restored `-next` took it from the target) is
 * unprotected first, before anything is deleted: callers delete only the clusters the pipeline moved away
 * (`-old-*`) or restored (`-next`), and the policies allow that ModifyDBCluster on those names only.
 */
export async function deleteClusterWithInstances(
  rds: RdsPort,
  clusterIdentifier: string,
  finalSnapshotIdentifier?: string,
): Promise<"deleted" | "already-gone" | "already-deleting"> {
  let cluster: DbCluster;
  try {
    cluster = await rds.describeCluster(clusterIdentifier);
  } catch (error) {
    if (isAwsCallError(error, "DBClusterNotFoundFault")) return "already-gone";
    throw error;
  }
  if (cluster.status === "deleting") return "already-deleting";
  if (cluster.settings?.deletionProtection) {
    await rds.modifyCluster({ clusterIdentifier, deletionProtection: false });
  }
  for (const { instanceIdentifier } of cluster.members) {
    await rds.deleteInstance(instanceIdentifier).catch((error: unknown) => {
      if (!isAwsCallError(error, "DBInstanceNotFoundFault")) throw error;
    });
  }
  try {
    await rds.deleteCluster({ clusterIdentifier, finalSnapshotIdentifier });
  } catch (error) {
    if (isAwsCallError(error, "DBClusterNotFoundFault")) return "already-gone";
    throw error;
  }
  return "deleted";
}
