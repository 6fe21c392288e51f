import * as z from "zod";
import type { ContractPattern } from "./contract";
import {
  accountId,
  anyArn,
  eventId,
  messageText,
  nameText,
  rdsResourceArn,
  rdsSourceIdentifier,
  region,
  replayName,
  textLimits,
} from "./identifiers";

/** RDS's own events, as EventBridge delivers them on the default bus (source aws.rds). */
export const RDS_SOURCE = "aws.rds";

export const rdsDetailTypes = {
  clusterSnapshot: "RDS DB Cluster Snapshot Event",
  cluster: "RDS DB Cluster Event",
  instance: "RDS DB Instance Event",
} as const;

/** The EventIDs the pipeline reads or the local RDS emits. Match on these, never on Message text. */
export const rdsEventIds = {
  manualSnapshotCreating: "RDS-EVENT-0074",
  manualSnapshotCreated: "RDS-EVENT-0075",
  automatedSnapshotCreating: "RDS-EVENT-0168",
  automatedSnapshotCreated: "RDS-EVENT-0169",
  clusterCreated: "RDS-EVENT-0170",
  clusterDeleted: "RDS-EVENT-0171",
  clusterRenamed: "RDS-EVENT-0172",
  instanceCreated: "RDS-EVENT-0005",
  instanceDeleted: "RDS-EVENT-0003",
  masterCredentialsReset: "RDS-EVENT-0016",
} as const;

const sourceTypes = {
  [rdsDetailTypes.clusterSnapshot]: "CLUSTER_SNAPSHOT",
  [rdsDetailTypes.cluster]: "CLUSTER",
  [rdsDetailTypes.instance]: "DB_INSTANCE",
} as const;

/** RDS's event categories are lowercase words ("backup", "configuration change", "global-failover"). */
const eventCategory = nameText(64).regex(
  /^[a-z][a-z -]*$/,
  "must be an RDS event category (lowercase words)",
);

/** Every field bounded: real RDS events are small, so anything larger is forged and refused here. */
export const rdsEventDetailSchema = z.object({
  EventCategories: z.array(eventCategory).max(16, { message: "at most 16 event categories", abort: true }),
  SourceType: nameText(64),
  SourceArn: rdsResourceArn,
  SourceIdentifier: rdsSourceIdentifier,
  Date: nameText(64),
  Message: messageText(4_096),
  EventID: z.string().regex(/^RDS-EVENT-\d{4}$/, "an RDS event id: RDS-EVENT-<4 digits>"),
});
export type RdsEventDetail = z.infer<typeof rdsEventDetailSchema>;

function rdsEnvelopeSchema<T extends string>(detailType: T, sourceType: string) {
  return z.object({
    version: nameText(16),
    id: eventId,
    "detail-type": z.literal(detailType),
    source: z.literal(RDS_SOURCE),
    account: accountId,
    time: nameText(64),
    region,
    resources: z
      .array(anyArn)
      .max(textLimits.list, { message: `at most ${textLimits.list} resources`, abort: true }),
    detail: rdsEventDetailSchema.extend({ SourceType: z.literal(sourceType) }),
    "replay-name": replayName.optional(),
  });
}

export const rdsClusterSnapshotEventSchema = rdsEnvelopeSchema(
  rdsDetailTypes.clusterSnapshot,
  sourceTypes[rdsDetailTypes.clusterSnapshot],
);
export const rdsClusterEventSchema = rdsEnvelopeSchema(
  rdsDetailTypes.cluster,
  sourceTypes[rdsDetailTypes.cluster],
);
export const rdsInstanceEventSchema = rdsEnvelopeSchema(
  rdsDetailTypes.instance,
  sourceTypes[rdsDetailTypes.instance],
);

export const rdsEventSchema = z.discriminatedUnion("detail-type", [
  rdsClusterSnapshotEventSchema,
  rdsClusterEventSchema,
  rdsInstanceEventSchema,
]);
export type RdsEvent = z.infer<typeof rdsEventSchema>;

export function sourceTypeFor(detailType: (typeof rdsDetailTypes)[keyof typeof rdsDetailTypes]): string {
  return sourceTypes[detailType];
}

/** The category RDS puts cluster snapshot events in (`backup`, not `creation`). */
export const SNAPSHOT_EVENT_CATEGORY = "backup";

/** Rule pattern for the snapshot events that start a refresh (trigger, on the default bus). */
export function snapshotCreatedPattern(): ContractPattern & { detail: Record<string, string[]> } {
  return {
    source: [RDS_SOURCE],
    "detail-type": [rdsDetailTypes.clusterSnapshot],
    detail: {
      EventCategories: [SNAPSHOT_EVENT_CATEGORY],
      EventID: [rdsEventIds.automatedSnapshotCreated, rdsEventIds.manualSnapshotCreated],
    },
  };
}

/** Rule pattern for the RDS events that make the watcher look early (cluster/instance created, renamed). */
export function resourceChangedPattern(): ContractPattern & { detail: Record<string, string[]> } {
  return {
    source: [RDS_SOURCE],
    "detail-type": [rdsDetailTypes.cluster, rdsDetailTypes.instance],
    detail: {
      EventID: [
        rdsEventIds.clusterCreated,
        rdsEventIds.clusterRenamed,
        rdsEventIds.clusterDeleted,
        rdsEventIds.instanceCreated,
      ],
    },
  };
}
