import type { AnyDomainEventContract, DomainEventInput } from "../../events/contract";
import {
  ClusterAvailable,
  ClusterCreated,
  ClusterRenamed,
  CopyCompleted,
  SnapshotAvailable,
  SourceSnapshotCopied,
} from "../../events/domain";
import type { OperationInfo } from "../../storage/operations";
import type { StageDeps } from "../kit/deps";
import { metaFor } from "../kit/publish";
import type { WatchContext } from "../kit/watches";
import type { ProbeResult } from "./watch-probes";

export interface ReadyEvent {
  contract: AnyDomainEventContract;
  detail: DomainEventInput<AnyDomainEventContract>;
}

/** The event a ready watch publishes (none for "none"), built and validated against its contract. */
export function readyEvent(
  deps: StageDeps,
  operation: OperationInfo,
  context: WatchContext,
  result: Extract<ProbeResult, { state: "ready" }>,
  causationId: string,
): ReadyEvent | undefined {
  const meta = metaFor(deps, operation, causationId);
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`Watch publishing ${context.publish} has no ${what}`);
    return value;
  };
  const event = <C extends AnyDomainEventContract>(contract: C, detail: DomainEventInput<C>): ReadyEvent => ({
    contract,
    detail: detail as DomainEventInput<AnyDomainEventContract>,
  });
  switch (context.publish) {
    case "none":
      return undefined;
    case SourceSnapshotCopied.detailType:
      return event(SourceSnapshotCopied, { ...meta, snapshot: need(result.snapshot, "snapshot") });
    case SnapshotAvailable.detailType:
      return event(SnapshotAvailable, {
        ...meta,
        snapshot: need(result.snapshot, "snapshot"),
        sharedWith: context.sharedWith ?? [],
      });
    case CopyCompleted.detailType:
      return event(CopyCompleted, { ...meta, snapshot: need(result.snapshot, "snapshot") });
    case ClusterCreated.detailType:
      return event(ClusterCreated, { ...meta, cluster: need(result.cluster, "cluster") });
    case ClusterAvailable.detailType:
      return event(ClusterAvailable, {
        ...meta,
        cluster: need(result.cluster, "cluster"),
        endpoint: need(result.endpoint, "endpoint"),
        ...(result.masterUsername ? { masterUsername: result.masterUsername } : {}),
      });
    case ClusterRenamed.detailType:
      return event(ClusterRenamed, {
        ...meta,
        cluster: need(result.cluster, "cluster"),
        previousIdentifier: need(context.previousIdentifier, "previousIdentifier"),
        step: need(context.renameStep, "renameStep"),
        ...(result.endpoint ? { endpoint: result.endpoint } : {}),
      });
  }
}
