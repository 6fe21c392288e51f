import { buildArn, parseArn } from "../../events/arn";
import type { ClusterRef, SnapshotRef, SnapshotState } from "../../events/shapes";
import type { Plan } from "../../plan/schema";
import type { AccessScope } from "../../ports/location";

/** Where the pipeline acts on the source (through the role the source account grants). */
export function sourceScope(plan: Plan): AccessScope {
  return {
    accountId: plan.source.accountId,
    region: plan.source.region,
    ...(plan.source.roleArn ? { roleArn: plan.source.roleArn } : {}),
  };
}

export function clusterRefOf(
  location: { accountId: string; region: string },
  clusterIdentifier: string,
): ClusterRef {
  return { clusterIdentifier, accountId: location.accountId, region: location.region };
}

/** ARN of a cluster snapshot, in the partition of a reference ARN (aws, aws-cn, aws-us-gov). */
export function clusterSnapshotArn(
  location: { accountId: string; region: string },
  identifier: string,
  partitionOf = "arn:aws:rds:::",
): string {
  return buildArn({
    partition: parseArn(partitionOf)?.partition || "aws",
    service: "rds",
    region: location.region,
    accountId: location.accountId,
    resource: `cluster-snapshot:${identifier}`,
  });
}

/** The identifier in a cluster snapshot's ARN (`...:cluster-snapshot:<identifier>`), or undefined. */
export function snapshotIdentifierOfArn(arn: string): string | undefined {
  const resource = parseArn(arn)?.resource;
  return resource?.startsWith("cluster-snapshot:") ? resource.slice("cluster-snapshot:".length) : undefined;
}

export function snapshotRefOf(snapshot: {
  identifier: string;
  arn: string;
  accountId: string;
  region: string;
  kmsKeyId?: string;
}): SnapshotRef {
  return {
    identifier: snapshot.identifier,
    arn: snapshot.arn,
    accountId: snapshot.accountId,
    region: snapshot.region,
    ...(snapshot.kmsKeyId ? { kmsKeyId: snapshot.kmsKeyId } : {}),
  };
}

/** What prepare needs of a described or listed snapshot beyond its reference (RestoreRequested carries it). */
export function snapshotStateOf(snapshot: { status: string; encrypted: boolean }): SnapshotState {
  return { status: snapshot.status, encrypted: snapshot.encrypted };
}

/** Identifiers of the snapshots the pipeline makes itself (resourceNames): never a trigger for a refresh. */
export function isPipelineSnapshot(identifier: string): boolean {
  return /(^|:)aurora-restore-/.test(identifier);
}

/** The cluster of an automated snapshot, from its identifier `rds:<cluster>-YYYY-MM-DD-HH-MM`. */
export function clusterOfAutomatedSnapshot(identifier: string): string | undefined {
  return /^rds:(.+)-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}$/.exec(identifier)?.[1];
}
