/** The logger, metrics and clock the stages are given, as a test reads and moves them. */

export class CapturingLogger {
  readonly lines: { level: string; message: string; extra?: Record<string, unknown> }[] = [];
  info = (message: string, extra?: Record<string, unknown>) =>
    this.lines.push({ level: "info", message, extra });
  warn = (message: string, extra?: Record<string, unknown>) =>
    this.lines.push({ level: "warn", message, extra });
  error = (message: string, extra?: Record<string, unknown>) =>
    this.lines.push({ level: "error", message, extra });
}

export class CapturingMetrics {
  readonly counts: { name: string; value: number; dimensions?: Record<string, string> }[] = [];
  count = (name: string, value = 1, dimensions?: Record<string, string>) => {
    this.counts.push({ name, value, ...(dimensions ? { dimensions } : {}) });
  };
  durationMs = (_name: string, _ms: number) => {};
  total(name: string): number {
    return this.counts.filter((c) => c.name === name).reduce((sum, c) => sum + c.value, 0);
  }
}

/** A clock that moves only when told (and by one second per reading, so audit entries stay ordered). */
export class FakeClock {
  private ms: number;
  constructor(start = "2026-03-14T04:00:00.000Z") {
    this.ms = Date.parse(start);
  }
  now = (): Date => {
    this.ms += 1000;
    return new Date(this.ms);
  };
  advance(ms: number): void {
    this.ms += ms;
  }
  peek(): Date {
    return new Date(this.ms);
  }
}
