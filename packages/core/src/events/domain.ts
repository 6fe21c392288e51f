import { KeptResourcesExpired } from "../stages/cleanup/contracts";
import { ClusterConfigured } from "../stages/configure/contracts";
import { CopyCompleted } from "../stages/copy/contracts";
import { ClusterRenamed, RestoreCompleted } from "../stages/cutover/contracts";
import { RestoreFailed } from "../stages/kit/contracts";
import { SnapshotAvailable, SourceSnapshotCopied } from "../stages/prepare/contracts";
import { ClusterAvailable, ClusterCreated } from "../stages/restore/contracts";
import { ManualRestoreRequested, RestoreRequested, RetryRequested } from "../stages/trigger/contracts";
import { RestoreVerified } from "../stages/verify/contracts";

/**
 * The pipeline's domain events. Each is declared once, in `stages/<stage>/contracts.ts` beside the stage
 * whose work it reports (the watcher only notices AWS finishing that work); RestoreFailed, which every stage
 * publishes, in `stages/kit/contracts.ts`. Stages react to them on the custom bus; the stacks and the local
 * bus derive their rule patterns from `pattern()`. Consumers import them from here (or the package root).
 */
export {
  ClusterAvailable,
  ClusterConfigured,
  ClusterCreated,
  ClusterRenamed,
  CopyCompleted,
  KeptResourcesExpired,
  ManualRestoreRequested,
  RestoreCompleted,
  RestoreFailed,
  RestoreRequested,
  RestoreVerified,
  RetryRequested,
  SnapshotAvailable,
  SourceSnapshotCopied,
};

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
  RetryRequested,
  KeptResourcesExpired,
] as const;

export type DomainEvent = (typeof domainEvents)[number];
