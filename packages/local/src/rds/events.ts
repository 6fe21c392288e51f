import { RDS_SOURCE, rdsDetailTypes } from "@aurora-restore/core/events/rds";
import type { AccountRegion } from "@aurora-restore/core/ports/index";

/** What the local RDS hands to the injected emitter: an EventBridge event from RDS. */
export interface RdsEvent {
  account: string;
  region: string;
  source: typeof RDS_SOURCE;
  detailType: string;
  resources: string[];
  detail: Record<string, unknown>;
  time: Date;
}

export type RdsEventSourceType = "CLUSTER" | "DB_INSTANCE" | "CLUSTER_SNAPSHOT";

const detailTypes: Record<RdsEventSourceType, string> = {
  CLUSTER: rdsDetailTypes.cluster,
  DB_INSTANCE: rdsDetailTypes.instance,
  CLUSTER_SNAPSHOT: rdsDetailTypes.clusterSnapshot,
};

/**
 * The events the local RDS emits, with AWS's categories and messages (USER_Events.Messages). Consumers must
 * match on EventID, never on the message. There is deliberately no event for a snapshot copy (AWS has none).
 */
export const rdsEventCatalogue = {
  "RDS-EVENT-0074": {
    sourceType: "CLUSTER_SNAPSHOT",
    category: "backup",
    message: "Creating manual cluster snapshot",
  },
  "RDS-EVENT-0075": {
    sourceType: "CLUSTER_SNAPSHOT",
    category: "backup",
    message: "Manual cluster snapshot created",
  },
  "RDS-EVENT-0168": {
    sourceType: "CLUSTER_SNAPSHOT",
    category: "backup",
    message: "Creating automated cluster snapshot",
  },
  "RDS-EVENT-0169": {
    sourceType: "CLUSTER_SNAPSHOT",
    category: "backup",
    message: "Automated cluster snapshot created",
  },
  "RDS-EVENT-0170": { sourceType: "CLUSTER", category: "creation", message: "DB cluster created" },
  "RDS-EVENT-0171": { sourceType: "CLUSTER", category: "deletion", message: "DB cluster deleted" },
  "RDS-EVENT-0172": {
    sourceType: "CLUSTER",
    category: "notification",
    message: "Renamed cluster from {old} to {new}",
  },
  "RDS-EVENT-0005": { sourceType: "DB_INSTANCE", category: "creation", message: "DB instance created" },
  "RDS-EVENT-0003": { sourceType: "DB_INSTANCE", category: "deletion", message: "DB instance deleted" },
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
}): RdsEvent {
  const entry = rdsEventCatalogue[input.eventId];
  const message = entry.message.replace(
    /\{(\w+)\}/g,
    (_, name: string) => input.values?.[name] ?? `{${name}}`,
  );
  return {
    account: input.location.accountId,
    region: input.location.region,
    source: RDS_SOURCE,
    detailType: detailTypes[entry.sourceType],
    resources: [input.sourceArn],
    time: input.time,
    detail: {
      EventCategories: [entry.category],
      SourceType: entry.sourceType,
      SourceArn: input.sourceArn,
      Date: input.time.toISOString(),
      Message: message,
      SourceIdentifier: input.sourceIdentifier,
      EventID: input.eventId,
    },
  };
}
