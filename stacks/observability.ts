import { RestoreFailed, type StageName } from "@aurora-restore/core";
import { METRICS_NAMESPACE, pipelineMetrics } from "@aurora-restore/core/stages/kit";

/**
 * The dashboard and the alarms, as data. The pipeline's own metrics are the ones the stages emit through
 * Powertools Metrics (packages/functions/src/runtime/powertools.ts: same namespace, a test compares them).
 * Each carries different dimensions per emitter (service, stage, trigger...), so they are read with
 * CloudWatch Metrics Insights queries that sum over every dimension instead of naming each series.
 */

/** Named once in core, where the stages emit them. */
export { METRICS_NAMESPACE, pipelineMetrics };

export function sumOf(metricName: string): string {
  return `SELECT SUM(${metricName}) FROM ${METRICS_NAMESPACE}`;
}

export type AlarmMetric =
  | { kind: "query"; expression: string }
  | {
      kind: "metric";
      namespace: string;
      metricName: string;
      dimensions: Record<string, string>;
      statistic: "Sum" | "Maximum";
    };

export interface AlarmSpec {
  id: string;
  description: string;
  metric: AlarmMetric;
  periodSeconds: number;
  evaluationPeriods: number;
  /** Fires at this value or above. */
  threshold: number;
}

export interface ObservedDeployment {
  region: string;
  stages: readonly { name: StageName; schedule?: string | undefined }[];
  functionName: (stage: StageName) => string;
  deadLetterQueueName: (stage: StageName) => string;
}

function capitalized(name: string): string {
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

/** Failed operations, a non-empty dead-letter queue, a scheduled stage that keeps failing. */
export function alarmSpecs(deployment: ObservedDeployment): AlarmSpec[] {
  return [
    {
      id: "OperationsFailedAlarm",
      description: `A refresh operation failed (${RestoreFailed.detailType}): see the notification and the audit trail.`,
      metric: { kind: "query", expression: sumOf(pipelineMetrics.failed) },
      periodSeconds: 300,
      evaluationPeriods: 1,
      threshold: 1,
    },
    ...deployment.stages.map(
      (stage): AlarmSpec => ({
        id: `${capitalized(stage.name)}DeadLettersAlarm`,
        description: `Events for ${stage.name} could not be delivered or kept failing: inspect and redrive its dead-letter queue.`,
        metric: {
          kind: "metric",
          namespace: "AWS/SQS",
          metricName: "ApproximateNumberOfMessagesVisible",
          dimensions: { QueueName: deployment.deadLetterQueueName(stage.name) },
          statistic: "Maximum",
        },
        periodSeconds: 300,
        evaluationPeriods: 1,
        threshold: 1,
      }),
    ),
    ...deployment.stages
      .filter((stage) => stage.schedule)
      .map(
        (stage): AlarmSpec => ({
          id: `${capitalized(stage.name)}ErrorsAlarm`,
          description: `The ${stage.name} has failed for 15 minutes: pending copies, restores and renames go unnoticed.`,
          metric: {
            kind: "metric",
            namespace: "AWS/Lambda",
            metricName: "Errors",
            dimensions: { FunctionName: deployment.functionName(stage.name) },
            statistic: "Sum",
          },
          periodSeconds: 300,
          evaluationPeriods: 3,
          threshold: 1,
        }),
      ),
  ];
}

type MetricLine = (string | { expression?: string; id?: string; label?: string })[];

function widget(title: string, region: string, metrics: MetricLine[], stat: string, position: number) {
  return {
    type: "metric",
    x: (position % 2) * 12,
    y: Math.floor(position / 2) * 6,
    width: 12,
    height: 6,
    properties: { title, region, metrics, stat, period: 300, view: "timeSeries" },
  };
}

/** CloudWatch dashboard body: operations started/succeeded/failed, stage durations, dead letters, errors. */
export function dashboardBody(deployment: ObservedDeployment): string {
  const { region, stages } = deployment;
  const operations: MetricLine[] = [
    pipelineMetrics.started,
    pipelineMetrics.succeeded,
    pipelineMetrics.failed,
  ].map((name, i) => [{ expression: sumOf(name), id: `q${i}`, label: name }]);
  const durations: MetricLine[] = [
    [
      {
        expression: `SELECT AVG(${pipelineMetrics.stageDuration}) FROM ${METRICS_NAMESPACE} GROUP BY stage`,
        id: "durations",
        label: "ms",
      },
    ],
  ];
  const deadLetters: MetricLine[] = stages.map((s) => [
    "AWS/SQS",
    "ApproximateNumberOfMessagesVisible",
    "QueueName",
    deployment.deadLetterQueueName(s.name),
    { label: s.name },
  ]);
  const errors: MetricLine[] = stages.map((s) => [
    "AWS/Lambda",
    "Errors",
    "FunctionName",
    deployment.functionName(s.name),
    { label: s.name },
  ]);
  return JSON.stringify({
    widgets: [
      widget("Operations started / succeeded / failed", region, operations, "Sum", 0),
      widget("Stage duration (ms, average per stage)", region, durations, "Average", 1),
      widget("Dead-letter queue depth", region, deadLetters, "Maximum", 2),
      widget("Function errors", region, errors, "Sum", 3),
    ],
  });
}
