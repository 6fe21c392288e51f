import { parseArn } from "../../events/arn";
import type { ManualRestoreRequested } from "../../events/domain";
import { type RdsEvent, rdsDetailTypes, rdsEventIds } from "../../events/rds";
import type { SnapshotState } from "../../events/shapes";
import { operationIdFor, targetKeyOf } from "../../operation/ids";
import type { Plan } from "../../plan/schema";
import { isAwsCallError } from "../../ports/errors";
import { audit } from "../kit/audit";
import type { StageEvent } from "../kit/claim";
import type { StageDeps } from "../kit/deps";
import { pipelineMetrics } from "../kit/metrics";
import {
  clusterOfAutomatedSnapshot,
  isPipelineSnapshot,
  snapshotRefOf,
  snapshotStateOf,
  sourceScope,
} from "../kit/snapshot-refs";
import { type StartOutcome, startOperation } from "../kit/start-operation";
import {
  findPlannedTarget,
  findSourceSnapshotOfDate,
  ManualRequestError,
  ManualRequestRefusedError,
  parseManualRequest,
} from "./manual-request";

/** Some targets were refused (busy). Not retryable: the same event would be refused again; redrive it later. */
export class TargetsBusyError extends Error {
  override name = "TargetsBusyError";
  readonly code = "TargetBusy";
  readonly retryable = false;
}

const startingEventIds: ReadonlySet<string> = new Set([
  rdsEventIds.automatedSnapshotCreated,
  rdsEventIds.manualSnapshotCreated,
]);

function accountRegionOfArn(arn: string): { accountId: string; region: string } | undefined {
  const { region, accountId } = parseArn(arn) ?? {};
  return region && accountId ? { accountId, region } : undefined;
}

function refusedError(outcomes: StartOutcome[]): TargetsBusyError | undefined {
  const refused = outcomes.filter((o) => o.outcome === "refused");
  if (refused.length === 0) return undefined;
  return new TargetsBusyError(refused.map((o) => o.reason).join("\n"));
}

/**
 * trigger on RDS-EVENT-0169 / 0075 (matched on EventID): one operation per planned target of the snapshot's
 * cluster. The operation id derives from snapshot and target, so the same event twice starts nothing new.
 */
export async function onRdsEvent(deps: StageDeps, event: RdsEvent): Promise<StartOutcome[]> {
  const { detail } = event;
  if (event["detail-type"] !== rdsDetailTypes.clusterSnapshot || !startingEventIds.has(detail.EventID)) {
    deps.logger.info("RDS event does not start a refresh; ignored", { rdsEventId: detail.EventID });
    return [];
  }
  if (isPipelineSnapshot(detail.SourceIdentifier)) {
    deps.logger.info("Snapshot made by the pipeline itself; ignored", { snapshot: detail.SourceArn });
    return [];
  }
  const type = detail.EventID === rdsEventIds.automatedSnapshotCreated ? "automated" : "manual";
  const location = accountRegionOfArn(detail.SourceArn) ?? { accountId: event.account, region: event.region };
  const candidates = (await deps.plans.list()).filter(
    (plan) =>
      plan.source.accountId === location.accountId &&
      plan.source.region === location.region &&
      plan.trigger.type === "every-snapshot" &&
      plan.trigger.snapshotTypes.includes(type),
  );
  if (candidates.length === 0) {
    deps.logger.info("No plan refreshes from this account and region on this snapshot type", {
      ...location,
      type,
    });
    return [];
  }

  // The cluster: from the automated identifier, else described through the source scope (one call).
  let clusterIdentifier = clusterOfAutomatedSnapshot(detail.SourceIdentifier);
  let kmsKeyId: string | undefined;
  let snapshotState: SnapshotState | undefined;
  if (!clusterIdentifier) {
    const described = await deps.rds(sourceScope(candidates[0]!)).describeClusterSnapshot(detail.SourceArn);
    clusterIdentifier = described.clusterIdentifier;
    kmsKeyId = described.kmsKeyId;
    // Passed on in RestoreRequested: prepare decides from it instead of describing the snapshot again.
    snapshotState = snapshotStateOf(described);
  }
  const plans = candidates.filter((plan) => plan.source.clusterIdentifier === clusterIdentifier);
  if (plans.length === 0) {
    deps.logger.info("No plan names this snapshot's cluster", { clusterIdentifier, ...location });
    return [];
  }

  const snapshot = {
    ...snapshotRefOf({
      identifier: detail.SourceIdentifier,
      arn: detail.SourceArn,
      ...location,
      ...(kmsKeyId ? { kmsKeyId } : {}),
    }),
    type,
  } as const;
  const outcomes: StartOutcome[] = [];
  for (const plan of plans) {
    for (const target of plan.targets) {
      outcomes.push(
        await startOperation(deps, {
          plan,
          target,
          snapshot,
          ...(snapshotState ? { snapshotState } : {}),
          trigger: "snapshot-event",
          requestedBy: `rds:${detail.EventID}`,
          operationId: operationIdFor({ snapshotArn: detail.SourceArn, targetKey: targetKeyOf(target) }),
          correlationId: event.id,
          causationId: event.id,
          stage: "trigger",
        }),
      );
    }
  }
  const refused = refusedError(outcomes);
  if (refused) throw refused;
  return outcomes;
}

/**
 * trigger on ManualRestoreRequested: validates the request, finds the planned target and the source snapshot
 * of that date, and starts the operation under the request's operation id. A bad request (invalid field,
 * unplanned target, no snapshot that day, an operation id already used for another refresh) and a busy
 * target are audited as rejected under that id and thrown as not retryable.
 */
export async function onManualRestoreRequested(
  deps: StageDeps,
  event: StageEvent<typeof ManualRestoreRequested>,
): Promise<StartOutcome> {
  const { detail } = event;
  const refuse = async (error: Error, plan?: Plan, targetKey = `unknown/${detail.targetClusterId}`) => {
    await audit(
      deps,
      // A refused request has no operation: its entries are kept as long as its plan asks (or the default).
      {
        operationId: detail.operationId,
        targetKey,
        planId: plan?.id ?? "unknown",
        compliance: plan?.compliance ?? "default",
      },
      {
        stage: "trigger",
        action: "manual-request",
        outcome: "rejected",
        eventId: event.id,
        details: { reason: error.message, requestedBy: detail.requestedBy },
      },
    );
    deps.metrics.count(pipelineMetrics.requestsRefused, 1, { stage: "trigger" });
    deps.logger.error("Refused a manual restore request", { reason: error.message });
    return error;
  };

  let resolved: Awaited<ReturnType<typeof resolve>>;
  const resolve = async () => {
    const request = parseManualRequest(
      {
        targetClusterId: detail.targetClusterId,
        sourceSnapshotDate: detail.sourceSnapshotDate,
        operationId: detail.operationId,
        requestedBy: detail.requestedBy,
      },
      deps.clock(),
    );
    const { plan, target } = findPlannedTarget(await deps.plans.list(), request.targetClusterId);
    try {
      const snapshot = await findSourceSnapshotOfDate(deps.rds, plan, request.sourceSnapshotDate);
      return { plan, target, snapshot };
    } catch (error) {
      throw Object.assign(error as Error, { plan, targetKey: targetKeyOf(target) });
    }
  };
  try {
    resolved = await resolve();
  } catch (error) {
    const known = error instanceof ManualRequestError || error instanceof ManualRequestRefusedError;
    if (!known && !(isAwsCallError(error) && !error.retryable)) throw error;
    const { plan, targetKey } = error as { plan?: Plan; targetKey?: string };
    throw await refuse(error as Error, plan, targetKey);
  }

  const { plan, target, snapshot } = resolved;
  // The same request delivered again finds its own operation (a duplicate, below); an id that already names
  // another refresh must not pass for this one.
  const existing = await deps.store.get(detail.operationId);
  if (
    existing &&
    (existing.targetKey !== targetKeyOf(target) || existing.sourceSnapshot.arn !== snapshot.arn)
  ) {
    throw await refuse(
      new ManualRequestRefusedError(
        "operation_id",
        `${detail.operationId} already names the refresh of ${existing.targetKey} from ${existing.sourceSnapshot.identifier} (${existing.status}); give a new operation_id, or omit it to have one generated.`,
      ),
      plan,
      targetKeyOf(target),
    );
  }
  const outcome = await startOperation(deps, {
    plan,
    target,
    snapshot: { ...snapshotRefOf(snapshot), type: snapshot.type === "automated" ? "automated" : "manual" },
    snapshotState: snapshotStateOf(snapshot),
    trigger: "manual",
    requestedBy: detail.requestedBy,
    operationId: detail.operationId,
    correlationId: detail.correlationId,
    causationId: event.id,
    stage: "trigger",
  });
  const refused = refusedError([outcome]);
  if (refused) throw refused;
  return outcome;
}
