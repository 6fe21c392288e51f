import { z } from "zod";

/** Building blocks shared by several event schemas (references only: never a secret value). */
export const accountId = z.string().regex(/^\d{12}$/, "an AWS account id is 12 digits");
export const region = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "a region looks like eu-west-1");

export const snapshotRef = z.object({
  identifier: z.string().min(1),
  arn: z.string().startsWith("arn:"),
  accountId,
  region,
  kmsKeyId: z.string().optional().describe("ARN of the key the snapshot is encrypted with"),
});
export type SnapshotRef = z.infer<typeof snapshotRef>;

export const clusterRef = z.object({
  clusterIdentifier: z.string().min(1),
  accountId,
  region,
});
export type ClusterRef = z.infer<typeof clusterRef>;

export const endpointRef = z.object({
  host: z.string().min(1),
  port: z.number().int().positive(),
});

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
