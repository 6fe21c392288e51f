import * as z from "zod";
import {
  accountId,
  clusterIdentifier,
  hostName,
  kmsKeyArn,
  nameText,
  port,
  rdsClusterSnapshotArn,
  region,
  snapshotIdentifier,
} from "./identifiers";

/** Building blocks shared by several event schemas (references only: never a secret value). */
export { accountId, region };

export const snapshotRef = z.object({
  identifier: snapshotIdentifier,
  arn: rdsClusterSnapshotArn,
  accountId,
  region,
  kmsKeyId: kmsKeyArn.optional().describe("ARN of the key the snapshot is encrypted with"),
});
export type SnapshotRef = z.infer<typeof snapshotRef>;

/** A snapshot's state when it was described: what prepare decides from (status, encryption). */
export const snapshotState = z.object({
  status: nameText(64).describe("RDS status: creating | available | copying | deleting | failed"),
  encrypted: z.boolean(),
});
export type SnapshotState = z.infer<typeof snapshotState>;

export const clusterRef = z.object({
  clusterIdentifier,
  accountId,
  region,
});
export type ClusterRef = z.infer<typeof clusterRef>;

export const endpointRef = z.object({ host: hostName, port });

export const stageName = z.enum([
  "trigger",
  "prepare",
  "copy",
  "restore",
  "configure",
  "verify",
  "cutover",
  "notify",
  "cleanup",
  "watcher",
]);
export type StageName = z.infer<typeof stageName>;

/** The stages an operation goes through, in flow order (the watcher serves them all and is left out). */
export const stagesInFlowOrder: readonly StageName[] = stageName.options.filter((s) => s !== "watcher");

/** What started an operation: the source's snapshot event, a person, the watcher's reconciler or a plan's schedule. */
export const operationTrigger = z.enum(["snapshot-event", "manual", "reconciler", "schedule"]);
export type OperationTrigger = z.infer<typeof operationTrigger>;
