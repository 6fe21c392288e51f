import type { AccountRegion, ClusterSnapshot } from "@aurora-restore/core/ports/index";
import { type ClusterRef, type DeletedCluster, deleteLocalCluster } from "../runtime/delete-cluster";
import type { LocalRuntime } from "../runtime/start-local-runtime";
import { type SnapshotRequest, takeClusterSnapshot } from "../runtime/take-snapshot";

/** What another process may ask of a running `local up` (and what a command does on its own runtime). */
export type LocalRequest =
  | { kind: "snapshot"; snapshot: SnapshotRequest }
  | { kind: "delete-cluster"; cluster: ClusterRef };

export interface LocalRequestResults {
  snapshot: ClusterSnapshot;
  "delete-cluster": DeletedCluster;
}

export type LocalRequestKind = LocalRequest["kind"];
export type LocalRequestOf<K extends LocalRequestKind> = Extract<LocalRequest, { kind: K }>;

/** A request read from the channel that is not one this runtime takes. */
export class InvalidLocalRequestError extends Error {
  override name = "InvalidLocalRequestError";
}

const isText = (value: unknown): value is string => typeof value === "string" && value.length > 0;

function clusterRefOf(value: unknown): AccountRegion & { clusterIdentifier: string } {
  const ref = (value ?? {}) as Record<string, unknown>;
  if (!isText(ref.accountId) || !isText(ref.region) || !isText(ref.clusterIdentifier)) {
    throw new InvalidLocalRequestError(
      "a request must name the cluster's accountId, region and clusterIdentifier",
    );
  }
  return { accountId: ref.accountId, region: ref.region, clusterIdentifier: ref.clusterIdentifier };
}

/** Checks a request another process wrote: only these fields reach the runtime (the RDS checks the values). */
export function parseLocalRequest(body: unknown): LocalRequest {
  const request = (body ?? {}) as Record<string, unknown>;
  if (request.kind === "delete-cluster")
    return { kind: "delete-cluster", cluster: clusterRefOf(request.cluster) };
  if (request.kind === "snapshot") {
    const snapshot = (request.snapshot ?? {}) as Record<string, unknown>;
    if (snapshot.type !== "automated" && snapshot.type !== "manual") {
      throw new InvalidLocalRequestError("a snapshot request's type must be automated or manual");
    }
    if (snapshot.snapshotIdentifier !== undefined && !isText(snapshot.snapshotIdentifier)) {
      throw new InvalidLocalRequestError("a snapshot request's snapshotIdentifier must be a string");
    }
    return {
      kind: "snapshot",
      snapshot: {
        ...clusterRefOf(snapshot),
        type: snapshot.type,
        ...(isText(snapshot.snapshotIdentifier) ? { snapshotIdentifier: snapshot.snapshotIdentifier } : {}),
      },
    };
  }
  throw new InvalidLocalRequestError(`unknown request kind '${String(request.kind)}'`);
}

/** Does what a request asks on `runtime`; `say` gets its notices (a wait for the next minute). */
export async function handleLocalRequest<K extends LocalRequestKind>(
  runtime: LocalRuntime,
  request: LocalRequestOf<K>,
  say: (line: string) => void,
): Promise<LocalRequestResults[K]> {
  const typed = request as LocalRequest;
  const result =
    typed.kind === "snapshot"
      ? await takeClusterSnapshot(runtime.rds, typed.snapshot, say)
      : await deleteLocalCluster(runtime, typed.cluster);
  return result as LocalRequestResults[K];
}
