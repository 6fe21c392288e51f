import type { AlarmSpec, ObservedDeployment } from "./observability";
import { alarmSpecs, dashboardBody } from "./observability";

function metricArgs(spec: AlarmSpec) {
  if (spec.metric.kind === "query") {
    return {
      metricQueries: [
        { id: "q", expression: spec.metric.expression, period: spec.periodSeconds, returnData: true },
      ],
    };
  }
  const { namespace, metricName, dimensions, statistic } = spec.metric;
  return { namespace, metricName, dimensions, statistic, period: spec.periodSeconds };
}

/** The dashboard and the alarms (they notify the topic when they fire and when they clear). */
export function createMonitoring(input: {
  dashboardName: string;
  topicArn: $util.Input<string>;
  deployment: ObservedDeployment;
}) {
  new aws.cloudwatch.Dashboard("Dashboard", {
    dashboardName: input.dashboardName,
    dashboardBody: dashboardBody(input.deployment),
  });
  for (const spec of alarmSpecs(input.deployment)) {
    new aws.cloudwatch.MetricAlarm(spec.id, {
      alarmDescription: spec.description,
      ...metricArgs(spec),
      evaluationPeriods: spec.evaluationPeriods,
      threshold: spec.threshold,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [input.topicArn],
      okActions: [input.topicArn],
    });
  }
}
