import { RestoreFailed } from "@aurora-restore/core/events/domain";
import { PIPELINE_SOURCE } from "@aurora-restore/core/events/names";
import { RDS_SOURCE, rdsDetailTypes, rdsEventIds } from "@aurora-restore/core/events/rds";
import { isPipelineSnapshot } from "@aurora-restore/core/stages/kit";
import type { EventBridgeEvent } from "../eventbridge/index";
import type { LocalRuntime } from "./start-local-runtime";

/** What `local up` shows of one event: when, what, and the operation and target or snapshot it concerns. */
export interface TappedEvent {
  time: string;
  /** A pipeline event's detail-type (RestoreRequested...) or `RDS snapshot available`. */
  what: string;
  operationId?: string;
  /** The target cluster (pipeline events) or the snapshot's identifier (RDS events). */
  subject?: string;
  /** RestoreFailed's stage, code and message. */
  failure?: string;
}

const text = (value: unknown) => (typeof value === "string" ? value : undefined);

export function tappedEvent(event: EventBridgeEvent): TappedEvent {
  const { detail } = event;
  if (event.source === RDS_SOURCE) {
    return {
      time: event.time,
      what: "RDS snapshot available",
      ...(text(detail.SourceIdentifier)
        ? { subject: `${text(detail.SourceIdentifier)} (${event.account}, ${event.region})` }
        : {}),
    };
  }
  const target = detail.target as { clusterIdentifier?: unknown } | undefined;
  const failed = event["detail-type"] === RestoreFailed.detailType;
  return {
    time: event.time,
    what: event["detail-type"],
    ...(text(detail.operationId) ? { operationId: text(detail.operationId) } : {}),
    ...(text(target?.clusterIdentifier) ? { subject: text(target?.clusterIdentifier) } : {}),
    ...(failed
      ? { failure: `${text(detail.stage)}: ${text(detail.errorCode)}: ${text(detail.message)}` }
      : {}),
  };
}

/**
 * Calls `onEvent` for every pipeline event on the pipeline bus and every snapshot-available RDS event that
 * reaches the pipeline account (the ones that start refreshes): two more rules, whose target only reports
 * (never retried nor dead-lettered). For `local up`'s one line per event.
 */
export function tapPipelineEvents(
  runtime: Pick<LocalRuntime, "pipelineBus" | "bridge" | "pipeline">,
  onEvent: (event: TappedEvent) => void,
): void {
  const target = {
    id: "aurora-restore-local-up",
    retryPolicy: { maximumRetryAttempts: 0 },
    deadLetter: false,
    invoke: async (event: EventBridgeEvent) => {
      // The pipeline's own intermediate snapshots start nothing: not worth a line.
      if (event.source === RDS_SOURCE && isPipelineSnapshot(String(event.detail.SourceIdentifier))) return;
      onEvent(tappedEvent(event));
    },
  };
  runtime.pipelineBus.putRule({
    name: "aurora-restore-local-up-events",
    eventPattern: { source: [PIPELINE_SOURCE] },
    description: "Shows every pipeline event in local up's terminal",
    targets: [target],
  });
  runtime.bridge
    .eventBus("default", { account: runtime.pipeline.accountId, region: runtime.pipeline.region })
    .putRule({
      name: "aurora-restore-local-up-snapshots",
      eventPattern: {
        source: [RDS_SOURCE],
        "detail-type": [rdsDetailTypes.clusterSnapshot],
        detail: { EventID: [rdsEventIds.automatedSnapshotCreated, rdsEventIds.manualSnapshotCreated] },
      },
      description: "Shows the snapshots that may start refreshes in local up's terminal",
      targets: [target],
    });
}
