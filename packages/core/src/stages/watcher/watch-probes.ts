import type { ClusterRef, SnapshotRef } from "../../events/shapes";
import { isAwsCallError } from "../../ports/errors";
import type { AccessScope } from "../../ports/location";
import type { RdsPort } from "../../ports/rds";
import type { WatchKind } from "../../storage/pending-watch";
import { clusterRefOf, snapshotRefOf } from "../kit/snapshot-refs";
import type { WatchContext } from "../kit/watches";

/** What the watcher found when it described a watched resource. */
export type ProbeResult =
  | { state: "pending"; status: string }
  | { state: "failed"; error: Error; hint: string }
  | {
      state: "ready";
      snapshot?: SnapshotRef;
      cluster?: ClusterRef;
      endpoint?: { host: string; port: number };
      /** The cluster's master user: ClusterAvailable carries it to configure. */
      masterUsername?: string;
    };

/** A watched resource ended in a state it cannot leave: the operation fails with this name and message. */
export class ResourceFailedError extends Error {
  override name = "ResourceFailedError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const failedSnapshotStates = new Set(["failed", "deleted", "deleting"]);
const failedClusterStates: Record<string, string> = {
  failed: "RDS could not create it; check the RDS events of the cluster.",
  "inaccessible-encryption-credentials":
    "it cannot use its KMS key: check that the key is enabled and its policy lets this account use it.",
  "incompatible-restore":
    "the snapshot is incompatible with the requested settings (engine version, parameter group).",
  "incompatible-parameters":
    "its parameter group has invalid values: fix dbClusterParameterGroupName in the plan.",
  "incompatible-network":
    "its subnet group or security groups cannot be used: fix targets[].network in the plan.",
  deleted: "it was deleted while the pipeline waited for it.",
  "storage-full": "it ran out of storage.",
};

function notFound(error: unknown): boolean {
  return (
    isAwsCallError(error, "DBClusterNotFoundFault") ||
    isAwsCallError(error, "DBInstanceNotFoundFault") ||
    isAwsCallError(error, "DBClusterSnapshotNotFoundFault")
  );
}

function where(scope: AccessScope): string {
  return `${scope.accountId}/${scope.region}`;
}

/** Describes one watched resource (read-only) and says whether it is ready, still busy or failed for good. */
export async function probe(
  rds: RdsPort,
  scope: AccessScope,
  kind: WatchKind,
  resource: string,
  context: WatchContext,
): Promise<ProbeResult> {
  switch (kind) {
    case "snapshot-copy": {
      let snapshot: Awaited<ReturnType<RdsPort["describeClusterSnapshot"]>>;
      try {
        snapshot = await rds.describeClusterSnapshot(resource);
      } catch (error) {
        if (!notFound(error)) throw error;
        return failed(
          "SnapshotCopyMissing",
          `Snapshot copy ${resource} in ${where(scope)} no longer exists.`,
          "Restore again.",
        );
      }
      if (snapshot.status === "available") return { state: "ready", snapshot: snapshotRefOf(snapshot) };
      if (failedSnapshotStates.has(snapshot.status)) {
        return failed(
          "SnapshotCopyFailed",
          `Snapshot copy ${resource} in ${where(scope)} ended in status ${snapshot.status}.`,
          "Check that the KMS keys are enabled and their policies grant the copying account kms:CreateGrant, Decrypt, ReEncrypt* and GenerateDataKey*, then restore again.",
        );
      }
      return { state: "pending", status: `${snapshot.status} ${snapshot.percentProgress ?? 0}%` };
    }
    case "cluster-available":
    case "instances-available":
    case "cluster-renamed": {
      let cluster: Awaited<ReturnType<RdsPort["describeCluster"]>>;
      try {
        cluster = await rds.describeCluster(resource);
      } catch (error) {
        if (!notFound(error)) throw error;
        // A rename shows the new name only once RDS has applied it.
        if (kind === "cluster-renamed") return { state: "pending", status: "not renamed yet" };
        return failed(
          "ClusterMissing",
          `Cluster ${resource} in ${where(scope)} does not exist.`,
          "Restore again.",
        );
      }
      const reason = failedClusterStates[cluster.status];
      if (reason)
        return failed(
          "ClusterFailed",
          `Cluster ${resource} in ${where(scope)} is ${cluster.status}: ${reason}`,
          "",
        );
      if (cluster.status !== "available") return { state: "pending", status: cluster.status };
      for (const instance of context.instances ?? []) {
        let status: string;
        try {
          status = (await rds.describeInstance(instance)).status;
        } catch (error) {
          if (!notFound(error)) throw error;
          if (kind === "cluster-renamed") return { state: "pending", status: `${instance} not renamed yet` };
          return failed(
            "InstanceMissing",
            `Instance ${instance} of ${resource} does not exist.`,
            "Restore again.",
          );
        }
        const instanceReason = failedClusterStates[status];
        if (instanceReason) {
          return failed(
            "InstanceFailed",
            `Instance ${instance} of ${resource} is ${status}: ${instanceReason}`,
            "",
          );
        }
        if (status !== "available") return { state: "pending", status: `${instance} ${status}` };
      }
      const ref = clusterRefOf(scope, resource);
      const endpoint = cluster.endpoint ? { host: cluster.endpoint, port: cluster.port ?? 5432 } : undefined;
      // A renamed cluster's endpoint (under its new name) goes along when it has one: cutover's last step uses it.
      if (kind !== "instances-available")
        return { state: "ready", cluster: ref, ...(endpoint ? { endpoint } : {}) };
      if (!endpoint) return { state: "pending", status: "no endpoint yet" };
      return { state: "ready", cluster: ref, endpoint, masterUsername: cluster.masterUsername };
    }
    case "cluster-deleted": {
      try {
        const cluster = await rds.describeCluster(resource);
        return { state: "pending", status: cluster.status };
      } catch (error) {
        if (!notFound(error)) throw error;
        return { state: "ready", cluster: clusterRefOf(scope, resource) };
      }
    }
  }
}

function failed(code: string, message: string, hint: string): ProbeResult {
  return { state: "failed", error: new ResourceFailedError(code, message), hint };
}
