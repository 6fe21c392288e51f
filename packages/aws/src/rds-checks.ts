import { parseArn } from "@aurora-restore/core/events/arn";
import type { AccountRegion, CopySnapshotInput } from "@aurora-restore/core/ports/index";
import { AwsCallError } from "@aurora-restore/core/ports/index";
import type { DescribeDBClusterSnapshotsMessage } from "@aws-sdk/client-rds";
import type { CallContext } from "./errors";

/**
 * How to ask DescribeDBClusterSnapshots for one snapshot: RDS finds an automated snapshot (`rds:...`) by
 * identifier only when asked for that type, and another account's snapshot only when shared ones are included.
 */
export function snapshotLookup(
  identifierOrArn: string,
  accountId: string,
): DescribeDBClusterSnapshotsMessage {
  const arn = parseArn(identifierOrArn);
  const identifier = arn ? arn.resource.replace(/^cluster-snapshot:/, "") : identifierOrArn;
  if (identifier.startsWith("rds:"))
    return { DBClusterSnapshotIdentifier: identifierOrArn, SnapshotType: "automated" };
  if (arn && arn.accountId !== accountId)
    return { DBClusterSnapshotIdentifier: identifierOrArn, IncludeShared: true };
  return { DBClusterSnapshotIdentifier: identifierOrArn };
}

export function notFound(
  code: "DBClusterNotFoundFault" | "DBInstanceNotFoundFault" | "DBClusterSnapshotNotFoundFault",
  context: CallContext,
): never {
  throw new AwsCallError(
    code,
    `${context.operation} ${context.resource ?? ""} found nothing in ${context.location.accountId}/${context.location.region}`,
    "rds",
  );
}

/**
 * A source in another region must be an ARN (RDS cannot resolve a bare identifier there, and the SDK presigns
 * only for an ARN). When the caller names the source region too, it must agree with the ARN.
 */
export function checkCopySource(
  input: CopySnapshotInput,
  location: AccountRegion,
  context: CallContext,
): void {
  const arn = parseArn(input.source);
  const crossRegion = input.sourceRegion !== undefined && input.sourceRegion !== location.region;
  if (crossRegion && !arn) {
    throw new AwsCallError(
      "InvalidParameterCombinationException",
      `${context.operation} ${input.targetIdentifier}: source "${input.source}" is in ${input.sourceRegion}; ` +
        "a snapshot in another region must be given by its ARN",
      "rds",
    );
  }
  if (arn && input.sourceRegion !== undefined && arn.region !== input.sourceRegion) {
    throw new AwsCallError(
      "InvalidParameterCombinationException",
      `${context.operation} ${input.targetIdentifier}: sourceRegion ${input.sourceRegion} does not match the ` +
        `region of the source ARN ${input.source}`,
      "rds",
    );
  }
}
