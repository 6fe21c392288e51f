import { createHash } from "node:crypto";

/**
 * Every operation id the pipeline makes or takes: `op-<20 hex>` (operationIdFor, scheduled runs),
 * `manual-<uuid>` (a request without one) and a person's `--operation-id` (1-64 letters, digits, - or _,
 * starting with a letter or digit, as the manual request checks it). Events, the CLI and the stage runtime
 * refuse anything else, so no id can exceed DynamoDB's key limits or carry control characters.
 */
export const OPERATION_ID_MAX_LENGTH = 64;
export const operationIdPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const OPERATION_ID_RULE = "1-64 letters, digits, - or _, starting with a letter or digit";

export function isOperationId(value: unknown): value is string {
  return typeof value === "string" && operationIdPattern.test(value);
}

/**
 * The operation id is derived from the source snapshot and the target, so the same snapshot event seen
 * twice (RDS delivers at least once, replays re-deliver) maps to the same operation instead of a new one.
 */
export function operationIdFor(input: { snapshotArn: string; targetKey: string }): string {
  const digest = createHash("sha256").update(`${input.snapshotArn}\n${input.targetKey}`).digest("hex");
  return `op-${digest.slice(0, 20)}`;
}

/** One key per target cluster: account, region and cluster identifier. */
export function targetKeyOf(target: {
  accountId: string;
  region: string;
  clusterIdentifier: string;
}): string {
  return `${target.accountId}/${target.region}/${target.clusterIdentifier}`;
}

/**
 * Ten hex characters that stand for the operation in resource names: the digest in a derived `op-<hex>` id,
 * else a digest of the id. A person's id (`--operation-id refresh-2025-03-14-a`) may hold characters or
 * hyphens RDS refuses in identifiers, and two such ids may share a prefix: both must still give valid,
 * distinct names.
 */
function shortIdOf(operationId: string): string {
  const derived = /^op-([0-9a-f]{10})/.exec(operationId)?.[1];
  return derived ?? createHash("sha256").update(operationId).digest("hex").slice(0, 10);
}

/** Deterministic names of the resources an operation creates, so a retry finds what it already made. */
export function resourceNames(operationId: string, targetClusterIdentifier: string) {
  const short = shortIdOf(operationId);
  return {
    shareableSnapshot: `aurora-restore-${short}-share`,
    targetSnapshot: `aurora-restore-${short}-copy`,
    nextCluster: `${targetClusterIdentifier}-next`,
    oldCluster: `${targetClusterIdentifier}-old-${short}`,
    instance: (index: number, clusterIdentifier: string) => `${clusterIdentifier}-${index + 1}`,
  };
}

/** RDS's limit on DB cluster and DB instance identifiers. */
export const RDS_IDENTIFIER_MAX_LENGTH = 63;

/** Aurora's most instances in one cluster (a writer and 15 readers): the highest `-<n>` a cluster's instances get. */
export const MAX_CLUSTER_INSTANCES = 16;

/**
 * The longest target cluster id whose derived names all fit RDS's limit. The longest derived name is an old
 * cluster's last instance, `<target>-old-<10 hex>-16` (cutover renames the replaced cluster's instances after
 * it): 18 characters more than the target, so 45. Derived from resourceNames, so it follows any renaming.
 */
export const MAX_TARGET_CLUSTER_ID_LENGTH = (() => {
  const names = resourceNames("op-0000000000", "");
  const suffixes = [names.nextCluster, names.oldCluster].flatMap((cluster) => [
    cluster,
    names.instance(MAX_CLUSTER_INSTANCES - 1, cluster),
  ]);
  return RDS_IDENTIFIER_MAX_LENGTH - Math.max(...suffixes.map((suffix) => suffix.length));
})();
