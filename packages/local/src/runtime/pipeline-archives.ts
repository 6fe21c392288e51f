import { type ArchiveKey, deploymentArchives } from "@aurora-restore/core/wiring/archives";
import type { StageDeclaration } from "@aurora-restore/core/wiring/stage-declaration";
import type { ArchiveDefinition, EventBus, LocalEventBridge } from "../eventbridge/index";

/**
 * The local runtime's archives, from the same declarations the stacks deploy (core's wiring/archives.ts):
 * every event of the pipeline bus, and the RDS events the stages subscribe to on the pipeline account's
 * default bus (where other accounts' RDS events are forwarded, as in AWS).
 */

/** Days the local archives keep events (a deployment's archiveRetentionDays defaults to 30 as well). */
export const localArchiveRetentionDays = 30;

/** The pipeline archive keeps the name it had before the RDS archive existed, so older state folders keep theirs. */
export function localArchiveName(busName: string, key: ArchiveKey): string {
  return key === "pipeline" ? `${busName}-archive` : `${busName}-rds-archive`;
}

/** The RDS archive is missing only when no stage of the runtime subscribes to RDS events (tests). */
export type LocalArchives = { pipeline: ArchiveDefinition; rds?: ArchiveDefinition };

/** Creates the archives a state folder does not have yet; the existing ones (and their events) stay. */
export function ensurePipelineArchives(
  bridge: LocalEventBridge,
  buses: { pipeline: EventBus; default: EventBus },
  stages: readonly StageDeclaration[],
): LocalArchives {
  const entries = deploymentArchives(stages).map((declared) => {
    const archiveName = localArchiveName(buses.pipeline.name, declared.key);
    const existing = bridge.listArchives().find((a) => a.archiveName === archiveName);
    const created =
      existing ??
      bridge.createArchive({
        archiveName,
        eventSourceArn: buses[declared.bus].arn,
        ...(declared.eventPattern ? { eventPattern: declared.eventPattern } : {}),
        retentionDays: localArchiveRetentionDays,
        description: declared.description,
      });
    return [declared.key, created] as const;
  });
  return Object.fromEntries(entries) as LocalArchives;
}
