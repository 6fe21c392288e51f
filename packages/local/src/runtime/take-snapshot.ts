import { type AccountRegion, type ClusterSnapshot, isAwsCallError } from "@aurora-restore/core/ports/index";
import type { LocalRdsHandle } from "./local-rds-adapter";

export interface SnapshotRequest extends AccountRegion {
  clusterIdentifier: string;
  /** automated: what the backup window takes (`rds:<cluster>-YYYY-MM-DD-HH-MM`); manual: what a person takes. */
  type: "automated" | "manual";
  /** A manual snapshot's identifier (default: `<cluster>-YYYY-MM-DD-HH-MM-SS`). */
  snapshotIdentifier?: string;
}

/** `<cluster>-YYYY-MM-DD-HH-MM-SS` (UTC), cut to RDS's 63 characters. */
export function defaultManualSnapshotIdentifier(clusterIdentifier: string, at: Date): string {
  const stamp = at.toISOString().slice(0, 19).replace(/[T:]/g, "-");
  return `${clusterIdentifier.slice(0, 63 - stamp.length - 1).replace(/-+$/, "")}-${stamp}`;
}

/**
 * Takes a snapshot of a local cluster; its RDS events follow as in AWS (0168/0169 automated, 0074/0075
 * manual), and a plan that covers the cluster starts from the second. Automated snapshot names carry the
 * minute, so RDS refuses a second one in the same minute: this waits for the next minute, as the backup
 * window would, and says so.
 */
export async function takeClusterSnapshot(
  rds: LocalRdsHandle,
  request: SnapshotRequest,
  say: (line: string) => void,
): Promise<ClusterSnapshot> {
  const location = { accountId: request.accountId, region: request.region };
  if (request.type === "manual") {
    return rds.port(location).createClusterSnapshot({
      clusterIdentifier: request.clusterIdentifier,
      snapshotIdentifier:
        request.snapshotIdentifier ?? defaultManualSnapshotIdentifier(request.clusterIdentifier, new Date()),
    });
  }
  try {
    return await rds.createAutomatedSnapshot(location, request.clusterIdentifier);
  } catch (error) {
    if (!isAwsCallError(error, "DBClusterSnapshotAlreadyExistsFault")) throw error;
    const waitMs = 60_000 - (Date.now() % 60_000) + 500;
    say(
      `An automated snapshot of ${request.clusterIdentifier} was already taken this minute; waiting ${Math.ceil(waitMs / 1000)} s for the next one`,
    );
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    return rds.createAutomatedSnapshot(location, request.clusterIdentifier);
  }
}
