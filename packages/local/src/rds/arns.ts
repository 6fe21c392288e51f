import type { AccountRegion } from "@aurora-restore/core/ports/index";
import { rdsError } from "./errors";

/** RDS ARNs as AWS forms them; identifiers are part of the ARN, so a rename changes it. */
export function clusterArn(location: AccountRegion, identifier: string): string {
  return `arn:aws:rds:${location.region}:${location.accountId}:cluster:${identifier}`;
}

export function instanceArn(location: AccountRegion, identifier: string): string {
  return `arn:aws:rds:${location.region}:${location.accountId}:db:${identifier}`;
}

export function clusterSnapshotArn(location: AccountRegion, identifier: string): string {
  return `arn:aws:rds:${location.region}:${location.accountId}:cluster-snapshot:${identifier}`;
}

const snapshotArnPattern = /^arn:aws:rds:([a-z0-9-]+):(\d{12}):cluster-snapshot:(.+)$/;

/** The location and identifier a cluster snapshot ARN names, or undefined when `text` is not an ARN. */
export function parseClusterSnapshotArn(text: string): (AccountRegion & { identifier: string }) | undefined {
  if (!text.startsWith("arn:")) return undefined;
  const match = snapshotArnPattern.exec(text);
  if (!match) {
    throw rdsError(
      "InvalidParameterValueException",
      `'${text}' is not a DB cluster snapshot ARN: expected arn:aws:rds:<region>:<account>:cluster-snapshot:<identifier>`,
    );
  }
  const [, region, accountId, identifier] = match as unknown as [string, string, string, string];
  return { accountId, region, identifier };
}

const identifierPattern = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/**
 * RDS identifier rules (clusters, instances, manual snapshots): 1 to 63 letters, digits or hyphens, starting
 * with a letter, no trailing hyphen nor two consecutive hyphens. RDS stores identifiers in lowercase.
 */
export function normaliseIdentifier(value: string, what: string): string {
  const lower = value.toLowerCase();
  if (lower.length < 1 || lower.length > 63 || !identifierPattern.test(lower)) {
    throw rdsError(
      "InvalidParameterValueException",
      `${what} '${value}' is invalid: use 1 to 63 letters, digits or hyphens, starting with a letter, ` +
        "without a trailing hyphen or two consecutive hyphens",
    );
  }
  return lower;
}

/** Manual snapshot identifiers: the `rds:` prefix is reserved for automated snapshots. */
export function normaliseManualSnapshotIdentifier(value: string): string {
  if (value.toLowerCase().startsWith("rds:")) {
    throw rdsError(
      "InvalidParameterValueException",
      `Snapshot identifier '${value}' is invalid: the 'rds:' prefix is reserved for automated snapshots; choose a name without it`,
    );
  }
  return normaliseIdentifier(value, "DBClusterSnapshotIdentifier");
}

/** `rds:<cluster>-YYYY-MM-DD-HH-MM` (UTC), the identifier AWS gives automated cluster snapshots. */
export function automatedSnapshotIdentifier(clusterIdentifier: string, at: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const stamp = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}-${pad(at.getUTCHours())}-${pad(at.getUTCMinutes())}`;
  return `rds:${clusterIdentifier}-${stamp}`;
}

/** A snapshot reference is an identifier in the caller's account and region, or an ARN. */
export function snapshotReference(
  caller: AccountRegion,
  identifierOrArn: string,
): AccountRegion & { identifier: string } {
  const parsed = parseClusterSnapshotArn(identifierOrArn);
  if (parsed) return parsed;
  return { accountId: caller.accountId, region: caller.region, identifier: identifierOrArn.toLowerCase() };
}
