import { RDS_SOURCE, type RdsEvent, rdsDetailTypes, rdsEventIds } from "@aurora-restore/core/events/rds";
import type { AccountRegion } from "@aurora-restore/core/ports/index";

/**
 * What the local RDS hands to the injected emitter: core's RdsEvent before EventBridge gives it an id (the
 * local bus, like EventBridge, assigns one when it accepts the event).
 */
export type RdsEventEntry = Omit<RdsEvent, "version" | "id" | "replay-name">;

export type RdsEventSourceType = "CLUSTER" | "DB_INSTANCE" | "CLUSTER_SNAPSHOT";

const detailTypes: Record<RdsEventSourceType, RdsEvent["detail-type"]> = {
  CLUSTER: rdsDetailTypes.cluster,
  DB_INSTANCE: rdsDetailTypes.instance,
  CLUSTER_SNAPSHOT: rdsDetailTypes.clusterSnapshot,
};

/**
 * The events the local RDS emits, with AWS's categories and messages (USER_Events.Messages). Consumers must
 * match on EventID, never on the message. There is deliberately no event for a snapshot copy (AWS has none).
 * Keyed by core's rdsEventIds: the ids are named once, there.
 */
export const rdsEventCatalogue = {
  [rdsEventIds.manualSnapshotCreating]: {
    sourceType: "CLUSTER_SNAPSHOT",
    category: "backup",
    message: "Creating manual cluster snapshot",
  },
  [rdsEventIds.manualSnapshotCreated]: {
    sourceType: "CLUSTER_SNAPSHOT",
    category: "backup",
    message: "Manual cluster snapshot created",
  },
  [rdsEventIds.automatedSnapshotCreating]: {
    sourceType: "CLUSTER_SNAPSHOT",
    category: "backup",
    message: "Creating automated cluster snapshot",
  },
  [rdsEventIds.automatedSnapshotCreated]: {
    sourceType: "CLUSTER_SNAPSHOT",
    category: "backup",
    message: "Automated cluster snapshot created",
  },
  [rdsEventIds.clusterCreated]: {
    sourceType: "CLUSTER",
    category: "creation",
    message: "DB cluster created",
  },
  [rdsEventIds.clusterDeleted]: {
    sourceType: "CLUSTER",
    category: "deletion",
    message: "DB cluster deleted",
  },
  [rdsEventIds.clusterRenamed]: {
    sourceType: "CLUSTER",
    category: "notification",
    message: "Renamed cluster from {old} to {new}",
  },
  [rdsEventIds.instanceCreated]: {
    sourceType: "DB_INSTANCE",
    category: "creation",
    message: "DB instance created",
  },
  [rdsEventIds.instanceDeleted]: {
    sourceType: "DB_INSTANCE",
    category: "deletion",
    message: "DB instance deleted",
  },
} as const satisfies Record<string, { sourceType: RdsEventSourceType; category: string; message: string }>;

export type RdsEventId = keyof typeof rdsEventCatalogue;

export function rdsEvent(input: {
  eventId: RdsEventId;
  location: AccountRegion;
  sourceArn: string;
  sourceIdentifier: string;
  time: Date;
  /** Values for the message's placeholders ({old}, {new}). */
  values?: Record<string, string>;
}): RdsEventEntry {
  const entry = rdsEventCatalogue[input.eventId];
  const message = entry.message.replace(
    /\{(\w+)\}/g,
    (_, name: string) => input.values?.[name] ?? `{${name}}`,
  );
  // The catalogue pairs each id with its source type, so detail-type and SourceType agree.
  return {
    account: input.location.accountId,
    region: input.location.region,
    source: RDS_SOURCE,
    "detail-type": detailTypes[entry.sourceType],
    resources: [input.sourceArn],
    time: input.time.toISOString(),
    detail: {
      EventCategories: [entry.category],
      SourceType: entry.sourceType,
      SourceArn: input.sourceArn,
      Date: input.time.toISOString(),
      Message: message,
      SourceIdentifier: input.sourceIdentifier,
      EventID: input.eventId,
    },
  } as RdsEventEntry;
}
