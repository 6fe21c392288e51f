import { sanitize } from "@aurora-restore/core/security/secret-names";
import type { StageLogger, StageMetrics } from "@aurora-restore/core/stages/kit";

export interface LineWriter {
  write(line: string): unknown;
}

export type LogLevel = "debug" | "info" | "warn" | "error";
const levelRank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** The level a LOG_LEVEL-style setting names (`debug`, `INFO`...), or undefined when it names none. */
export function logLevelOf(value: string | undefined): LogLevel | undefined {
  const level = value?.trim().toLowerCase();
  return level !== undefined && level in levelRank ? (level as LogLevel) : undefined;
}

/**
 * The stages' logger on this machine: one line per entry on the writer, prefixed with the stage, extra
 * fields passed through `sanitize` so a field that looks like a secret is redacted, as Powertools' would be.
 */
export function consoleLogger(
  stage: string,
  writer: LineWriter,
  options: { level?: LogLevel } = {},
): StageLogger {
  const minimum = levelRank[options.level ?? "info"];
  const log = (level: LogLevel, message: string, extra?: Record<string, unknown>) => {
    if (levelRank[level] < minimum) return;
    const fields = extra && Object.keys(extra).length > 0 ? ` ${JSON.stringify(sanitize(extra))}` : "";
    writer.write(`[${stage}] ${level.toUpperCase()} ${message}${fields}\n`);
  };
  return {
    debug: (message, extra) => log("debug", message, extra),
    info: (message, extra) => log("info", message, extra),
    warn: (message, extra) => log("warn", message, extra),
    error: (message, extra) => log("error", message, extra),
  };
}

export interface RecordedMetric {
  stage: string;
  kind: "count" | "durationMs";
  name: string;
  value: number;
  dimensions: Record<string, string>;
}

/** Metrics kept in memory (CloudWatch EMF in Lambda); the runtime exposes them for the demo and tests. */
export class MetricsRecorder {
  readonly #records: RecordedMetric[] = [];

  forStage(stage: string): StageMetrics {
    return {
      count: (name, value = 1, dimensions = {}) =>
        this.#records.push({ stage, kind: "count", name, value, dimensions }),
      durationMs: (name, ms, dimensions = {}) =>
        this.#records.push({ stage, kind: "durationMs", name, value: ms, dimensions }),
    };
  }

  list(): readonly RecordedMetric[] {
    return this.#records;
  }

  total(name: string): number {
    return this.#records.filter((r) => r.name === name).reduce((sum, r) => sum + r.value, 0);
  }
}
