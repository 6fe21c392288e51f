import { z } from "zod";
import { defineEvent } from "./contract";
import {
  accountId,
  clusterIdentifier,
  messageText,
  nameText,
  planId,
  secretArn,
  textLimits,
} from "./identifiers";
import { clusterRef, endpointRef, operationTrigger, snapshotRef, stageName } from "./shapes";

/**
 * The pipeline's domain events, each declared once. Stages react to these on the custom bus; the stacks
 * and the local bus derive their rule patterns from `pattern()`.
 */

export const ManualRestoreRequested = defineEvent({
  detailType: "ManualRestoreRequested",
  version: 1,
  description:
    "A person or a script asked to refresh one target from the source snapshot of a given date (aurora-restore restore).",
  producers: ["cli"],
  shape: {
    targetClusterId: clusterIdentifier,
    sourceSnapshotDate: z.iso.date().describe("YYYY-MM-DD: the source snapshot taken that day (UTC) is used"),
    requestedBy: nameText().describe("Who asked (CLI user or principal)"),
  },
});

export const RestoreRequested = defineEvent({
  detailType: "RestoreRequested",
  version: 1,
  description: "An operation was started for one planned target from one source snapshot.",
  producers: ["trigger", "watcher"],
  shape: {
    planId,
    target: clusterRef,
    sourceSnapshot: snapshotRef.extend({ type: z.enum(["automated", "manual"]) }),
    trigger: operationTrigger,
    requestedBy: nameText(),
  },
});

export const SourceSnapshotCopied = defineEvent({
  detailType: "SourceSnapshotCopied",
  version: 1,
  description:
    "The shareable manual copy prepare made in the source account is available (found by the watcher: RDS emits no copy event).",
  producers: ["watcher"],
  shape: { snapshot: snapshotRef },
});

export const SnapshotAvailable = defineEvent({
  detailType: "SnapshotAvailable",
  version: 1,
  description:
    "A snapshot the target account can use is available: shared with it, already its own, or (two-hop copies) the intermediate copy in the source region.",
  producers: ["prepare", "watcher"],
  shape: {
    snapshot: snapshotRef,
    sharedWith: z
      .array(accountId)
      .max(textLimits.list, { message: `at most ${textLimits.list} accounts`, abort: true })
      .describe("Accounts it was shared with"),
  },
});

export const CopyCompleted = defineEvent({
  detailType: "CopyCompleted",
  version: 1,
  description:
    "The snapshot is available in the target account and region under the target's key (watcher, or copy when no copy was needed).",
  producers: ["watcher", "copy"],
  shape: { snapshot: snapshotRef },
});

export const ClusterCreated = defineEvent({
  detailType: "ClusterCreated",
  version: 1,
  description: "The restored cluster is available but has no instances yet (restore then creates them).",
  producers: ["watcher"],
  shape: { cluster: clusterRef },
});

export const ClusterAvailable = defineEvent({
  detailType: "ClusterAvailable",
  version: 1,
  description: "The restored cluster and all its instances are available under the temporary name.",
  producers: ["watcher"],
  shape: { cluster: clusterRef, endpoint: endpointRef },
});

export const ClusterConfigured = defineEvent({
  detailType: "ClusterConfigured",
  version: 1,
  description:
    "New master password set and working, application users created or reset, post-restore SQL applied.",
  producers: ["configure"],
  shape: {
    cluster: clusterRef,
    endpoint: endpointRef,
    masterSecretArn: secretArn,
    applicationUsers: z
      // PostgreSQL role names are at most 63 bytes; the plan's stricter rule is not repeated here, so a
      // name that only the SQL quoting keeps safe still travels.
      .array(z.object({ username: nameText(63), secretArn }))
      .max(textLimits.list, { message: `at most ${textLimits.list} users`, abort: true }),
  },
});

export const RestoreVerified = defineEvent({
  detailType: "RestoreVerified",
  version: 1,
  description: "Every check of the plan passed on the restored cluster.",
  producers: ["verify"],
  shape: {
    cluster: clusterRef,
    checks: z
      .array(z.object({ name: nameText(), passed: z.boolean(), detail: messageText().optional() }))
      .max(textLimits.list, { message: `at most ${textLimits.list} checks`, abort: true }),
  },
});

export const ClusterRenamed = defineEvent({
  detailType: "ClusterRenamed",
  version: 1,
  description:
    "A rename requested by cutover has finished (found by the watcher; RDS-EVENT-0172 makes it sooner).",
  producers: ["watcher"],
  shape: {
    cluster: clusterRef,
    previousIdentifier: clusterIdentifier,
    step: z.enum(["old-moved-away", "new-moved-in", "rolled-back"]),
  },
});

export const RestoreCompleted = defineEvent({
  detailType: "RestoreCompleted",
  version: 1,
  description:
    "The refreshed cluster carries the target's name and endpoint; the old cluster is being deleted.",
  producers: ["cutover"],
  shape: {
    planId,
    target: clusterRef,
    endpoint: endpointRef,
    replacedClusterIdentifier: clusterIdentifier.optional(),
  },
});

export const RestoreFailed = defineEvent({
  detailType: "RestoreFailed",
  version: 1,
  description: "The operation ended in failure; the target is unchanged (cutover renames back on failure).",
  producers: ["trigger", "prepare", "copy", "restore", "configure", "verify", "cutover", "watcher"],
  shape: {
    planId,
    target: clusterRef,
    stage: stageName,
    errorCode: nameText().describe("AWS error name, SQLSTATE or the pipeline's own code"),
    message: messageText().describe("What went wrong and what to do about it"),
  },
});

/** Every domain event, for the catalogue, the contract tests and the runtime. */
export const domainEvents = [
  ManualRestoreRequested,
  RestoreRequested,
  SourceSnapshotCopied,
  SnapshotAvailable,
  CopyCompleted,
  ClusterCreated,
  ClusterAvailable,
  ClusterConfigured,
  RestoreVerified,
  ClusterRenamed,
  RestoreCompleted,
  RestoreFailed,
] as const;

export type DomainEvent = (typeof domainEvents)[number];
