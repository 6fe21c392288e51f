import type { StageLogger, StageMetrics } from "@aurora-restore/core/stages/kit/deps";
import { METRICS_NAMESPACE } from "@aurora-restore/core/stages/kit/metrics";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { sanitizingLogger } from "./logging";

export { METRICS_NAMESPACE };

/** Powertools Logger behind the StageLogger interface, with secret-like keys redacted. */
export function powertoolsLogger(serviceName: string): StageLogger {
  const logger = new Logger({ serviceName });
  return sanitizingLogger({
    debug: (message, extra) => (extra ? logger.debug(message, extra) : logger.debug(message)),
    info: (message, extra) => (extra ? logger.info(message, extra) : logger.info(message)),
    warn: (message, extra) => (extra ? logger.warn(message, extra) : logger.warn(message)),
    error: (message, extra) => (extra ? logger.error(message, extra) : logger.error(message)),
  });
}

/**
 * Powertools Metrics (EMF) behind StageMetrics. Each metric is emitted at once as a single metric with its
 * own dimensions, so nothing is lost when an invocation fails before a flush.
 */
export function powertoolsMetrics(serviceName: string): StageMetrics {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  const emit = (
    name: string,
    unit: (typeof MetricUnit)[keyof typeof MetricUnit],
    value: number,
    dimensions?: Record<string, string>,
  ) => {
    const single = metrics.singleMetric();
    if (dimensions) single.addDimensions(dimensions);
    single.addMetric(name, unit, value);
  };
  return {
    count: (name, value = 1, dimensions) => emit(name, MetricUnit.Count, value, dimensions),
    durationMs: (name, ms, dimensions) => emit(name, MetricUnit.Milliseconds, ms, dimensions),
  };
}
