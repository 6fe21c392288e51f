import { RestoreCompleted, RestoreFailed } from "../../events/domain";
import { stageName } from "../../events/shapes";
import type { Plan } from "../../plan/schema";
import type { OperationInfo } from "../../storage/operations";
import { audit } from "../kit/audit";
import { once, type StageEvent } from "../kit/claim";
import type { StageDeps } from "../kit/deps";
import { pipelineMetrics } from "../kit/metrics";
import { effectOfRun } from "../kit/retry-run";

export type NotifyEvent =
  | (StageEvent<typeof RestoreCompleted> & { detailType: typeof RestoreCompleted.detailType })
  | (StageEvent<typeof RestoreFailed> & { detailType: typeof RestoreFailed.detailType });

export interface StageDuration {
  name: string;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
}

/** Stage durations in pipeline order, from the operation's recorded stage times. */
export function stageDurations(operation: Pick<OperationInfo, "stageTimes">): StageDuration[] {
  return stageName.options.flatMap((name) => {
    const times = operation.stageTimes[name];
    if (!times) return [];
    const durationMs = times.endedAt ? Date.parse(times.endedAt) - Date.parse(times.startedAt) : undefined;
    return [{ name, startedAt: times.startedAt, endedAt: times.endedAt, durationMs }];
  });
}

function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return "not ended";
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes}m ${seconds % 60}s` : `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

/** The notification: a subject (SNS: at most 100 printable characters) and a plain-text body. */
export function notificationSummary(operation: OperationInfo, event: NotifyEvent, plan?: Plan) {
  const succeeded = event.detailType === RestoreCompleted.detailType;
  const status = succeeded ? "succeeded" : "failed";
  const target = operation.target;
  const subject = `aurora-restore: ${target.clusterIdentifier} refresh ${status}`.slice(0, 100);
  const planTarget = plan?.targets.find((t) => t.clusterIdentifier === target.clusterIdentifier);
  const lines = [
    `Operation: ${operation.operationId}`,
    `Plan: ${operation.planId}`,
    `Target: ${target.clusterIdentifier} (account ${target.accountId}, ${target.region})`,
    `Source snapshot: ${operation.sourceSnapshot.arn}`,
    `Status: ${status}`,
  ];
  if (event.detailType === RestoreCompleted.detailType) {
    lines.push(`Endpoint: ${event.detail.endpoint.host}:${event.detail.endpoint.port}`);
    if (event.detail.replacedClusterIdentifier) {
      lines.push(`Replaced cluster: ${event.detail.replacedClusterIdentifier}`);
    }
    if (planTarget) {
      lines.push(`Credentials: secret ${planTarget.masterSecretName} (master)`);
      for (const user of planTarget.applicationUsers) {
        lines.push(`             secret ${user.secretName} (${user.username})`);
      }
    }
  } else {
    lines.push(
      `Failed stage: ${event.detail.stage}`,
      `Error: ${event.detail.errorCode}: ${event.detail.message}`,
    );
  }
  const passed = (operation.outputs.checksPassed ?? []) as string[];
  if (passed.length > 0) lines.push(`Checks passed: ${passed.join(", ")}`);
  lines.push("", "Stage durations:");
  for (const stage of stageDurations(operation)) {
    lines.push(`  ${stage.name.padEnd(10)} ${formatDuration(stage.durationMs)}`);
  }
  return {
    subject,
    message: lines.join("\n"),
    attributes: { operationId: operation.operationId, planId: operation.planId, status },
  };
}

/** notify on RestoreCompleted: the success summary (notifyOutcome, below). */
export function onRestoreCompleted(
  deps: StageDeps,
  event: StageEvent<typeof RestoreCompleted>,
): Promise<void> {
  return notifyOutcome(deps, { ...event, detailType: RestoreCompleted.detailType });
}

/** notify on RestoreFailed: the failure summary (notifyOutcome, below). */
export function onRestoreFailed(deps: StageDeps, event: StageEvent<typeof RestoreFailed>): Promise<void> {
  return notifyOutcome(deps, { ...event, detailType: RestoreFailed.detailType });
}

/**
 * notify (on RestoreCompleted / RestoreFailed): publishes the summary to the plan's SNS topic (or the
 * deployment's). Once per event: the publish is audited with the event id, and a replay of an event
 * already notified is ignored.
 */
async function notifyOutcome(deps: StageDeps, event: NotifyEvent): Promise<void> {
  const { operationId } = event.detail;
  const operation = await deps.store.get(operationId);
  if (!operation) {
    deps.logger.warn("Notification for an unknown operation", { operationId, eventId: event.id });
    return;
  }
  const context = { stage: "notify" as const, action: "notify", eventId: event.id };
  // An outcome the operation no longer has (a failed run's RestoreFailed arriving after a retry reopened it).
  const outcome = event.detailType === RestoreCompleted.detailType ? "completed" : "failed";
  if (operation.step !== outcome) {
    await audit(deps, operation, {
      ...context,
      outcome: "ignored-duplicate",
      details: { step: operation.step, reason: `the operation is not ${outcome} now (it was retried)` },
    });
    return;
  }
  const plan = await deps.plans.get(operation.planId).catch(() => undefined);
  const topicArn = plan?.notificationTopicArn ?? deps.topicArn;
  if (!topicArn) {
    await audit(deps, operation, {
      ...context,
      outcome: "failed",
      details: { reason: "no topic: the plan names none and the deployment has no default topic" },
    });
    deps.logger.error("No SNS topic to notify", { operationId });
    return;
  }
  const summary = notificationSummary(operation, event, plan);
  // One notification per operation, however often (and however concurrently) its outcome is delivered.
  const { ran, state } = await once(deps, operationId, effectOfRun(operation, "notify"), async () => {
    const { messageId } = await deps.notifications.publish({ topicArn, ...summary });
    await audit(deps, operation, {
      ...context,
      outcome: "succeeded",
      details: { topicArn, messageId, subject: summary.subject, status: summary.attributes.status },
    });
  });
  if (!ran) {
    await audit(deps, operation, {
      ...context,
      outcome: "ignored-duplicate",
      details: { reason: state === "completed" ? "already notified" : "another delivery is notifying" },
    });
    return;
  }
  deps.metrics.count(pipelineMetrics.notificationsSent, 1, { status: summary.attributes.status });
}
