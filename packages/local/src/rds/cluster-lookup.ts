import type { AccountRegion } from "@aurora-restore/core/ports/index";
import { normaliseIdentifier } from "./arns";
import type { RdsContext } from "./context";
import { rdsError, withKms } from "./errors";
import type { ClusterRecord } from "./registry";

export const auroraEngine = "aurora-postgresql";

export function where(location: AccountRegion): string {
  return `account ${location.accountId}, ${location.region}`;
}

export function findCluster(ctx: RdsContext, location: AccountRegion, identifier: string): ClusterRecord {
  const id = identifier.toLowerCase();
  const record = ctx.registry.cluster(location, id);
  if (!record) {
    throw rdsError("DBClusterNotFoundFault", `DBCluster ${id} not found in ${where(location)}`);
  }
  return record;
}

export function assertClusterStatus(record: ClusterRecord, allowed: string[], action: string): void {
  if (!allowed.includes(record.status)) {
    throw rdsError(
      "InvalidDBClusterStateFault",
      `DBCluster ${record.identifier} is '${record.status}'; ${action} needs it ${allowed.map((s) => `'${s}'`).join(" or ")}: wait until it is and retry`,
    );
  }
}

/** A new cluster's name, refused when a cluster holds it or is being renamed to it. */
export function newClusterName(ctx: RdsContext, location: AccountRegion, identifier: string): string {
  const id = normaliseIdentifier(identifier, "DBClusterIdentifier");
  if (ctx.registry.clusterNameTaken(location, id)) {
    throw rdsError(
      "DBClusterAlreadyExistsFault",
      `DBCluster ${id} already exists in ${where(location)}: choose another identifier, or delete or rename the existing cluster first`,
    );
  }
  return id;
}

export function assertEngine(engine: string, engineVersion?: string): void {
  if (engine !== auroraEngine) {
    throw rdsError(
      "InvalidParameterValueException",
      `Engine '${engine}' is not supported by the local RDS: use '${auroraEngine}'`,
    );
  }
  if (engineVersion !== undefined && engineVersion.split(".")[0] !== "17") {
    throw rdsError(
      "InvalidParameterValueException",
      `Engine version ${engineVersion} is not available locally: the local clusters run PostgreSQL 17; omit EngineVersion or use 17.x`,
    );
  }
}

/** A KMS key of the caller's account and region for a cluster or snapshot, as its full ARN. */
export async function resolveKey(
  ctx: RdsContext,
  location: AccountRegion,
  keyRef: string | undefined,
): Promise<string> {
  const key = await withKms(
    `KMS key ${keyRef ?? "alias/aws/rds"} cannot be used in ${where(location)}`,
    () => (keyRef === undefined ? ctx.kms.defaultRdsKey(location) : ctx.kms.describeKey(location, keyRef)),
  );
  if (!key.enabled) {
    throw rdsError(
      "KMSKeyNotAccessibleFault",
      `KMS key ${key.arn} is disabled: enable it or choose another key`,
    );
  }
  return key.arn;
}
