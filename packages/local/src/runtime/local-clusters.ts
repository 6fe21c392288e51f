import { join } from "node:path";
import type { AccountRegion } from "@aurora-restore/core/ports/index";
import { Registry } from "../rds/registry";

/** The tag the restore stage puts on every cluster it creates (core's stages/restore): the operation's id. */
export const operationTagKey = "aurora-restore:operation";

/** A local cluster as `local clusters list` shows it. */
export interface LocalClusterInfo extends AccountRegion {
  identifier: string;
  status: string;
  engine: string;
  engineVersion: string;
  endpoint: string;
  port: number;
  masterUsername: string;
  createdAt: string;
  /** "postgres": a real server; "instant": a record with no server (docs/instant-clusters.md). */
  kind: "postgres" | "instant";
  instances: { identifier: string; status: string; instanceClass: string }[];
  tags: Record<string, string>;
  /** The operation that restored it, from its tag; absent for a cluster created otherwise (the demo's source). */
  createdByOperation?: string;
}

/**
 * The clusters of a state folder, from the local RDS's registry file. It is written whole and atomically, so
 * it can be read while a runtime holds the folder, without its lock; nothing is started.
 */
export async function readLocalClusters(stateDir: string): Promise<LocalClusterInfo[]> {
  const registry = new Registry(join(stateDir, "rds"));
  await registry.load();
  return registry.clusters
    .map((record) => {
      const tags = { ...record.tags };
      const operation = tags[operationTagKey];
      return {
        accountId: record.accountId,
        region: record.region,
        identifier: record.identifier,
        status: record.status,
        engine: record.engine,
        engineVersion: record.engineVersion,
        endpoint: "127.0.0.1",
        port: record.port,
        masterUsername: record.masterUsername,
        createdAt: record.createdAt,
        kind: record.dataPath === "instant" ? ("instant" as const) : ("postgres" as const),
        instances: registry
          .instancesOf(record)
          .map((i) => ({ identifier: i.identifier, status: i.status, instanceClass: i.instanceClass })),
        tags,
        ...(operation ? { createdByOperation: operation } : {}),
      };
    })
    .sort((a, b) =>
      `${a.accountId}/${a.region}/${a.identifier}`.localeCompare(
        `${b.accountId}/${b.region}/${b.identifier}`,
      ),
    );
}

/** A cluster named on the command line that the state folder does not have (or has in several places). */
export class UnknownClusterError extends Error {
  override name = "UnknownClusterError";
}

const placeOf = (c: LocalClusterInfo) => `${c.identifier} (${c.accountId}, ${c.region})`;

/**
 * The cluster `identifier` names, in `where`'s account and region when given. Not found: the error lists the
 * known clusters; found in several accounts or regions: it asks for the one meant.
 */
export function findLocalCluster(
  clusters: readonly LocalClusterInfo[],
  identifier: string,
  where: Partial<AccountRegion> = {},
): LocalClusterInfo {
  const id = identifier.toLowerCase();
  const found = clusters.filter(
    (c) =>
      c.identifier === id &&
      (where.accountId === undefined || c.accountId === where.accountId) &&
      (where.region === undefined || c.region === where.region),
  );
  if (found.length === 1) return found[0]!;
  if (found.length > 1) {
    throw new UnknownClusterError(
      `${identifier} names ${found.length} clusters: ${found.map(placeOf).join(", ")}; say which with --account and --region`,
    );
  }
  const known = clusters.map(placeOf).join(", ");
  throw new UnknownClusterError(
    `no cluster ${identifier}${where.accountId ? ` in account ${where.accountId}` : ""}${where.region ? ` in ${where.region}` : ""} (known: ${known || "none; run 'aurora-restore demo' to create some"})`,
  );
}
