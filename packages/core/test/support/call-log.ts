import type { AccessScope } from "../../src/ports/location";

/** One call a fake received: what, where, with which input, and a one-line summary for ordering checks. */
export interface RecordedCall {
  service: "rds" | "kms" | "secrets";
  method: string;
  scope: AccessScope;
  input: unknown;
  /** `service.method` plus what tells the call apart, e.g. `rds.modifyCluster:password`. */
  line: string;
}

/** Every call the fakes receive, in order, shared by all of them so tests can order calls across services. */
export class CallLog {
  readonly entries: RecordedCall[] = [];

  add(call: Omit<RecordedCall, "line">, detail = ""): void {
    this.entries.push({
      ...call,
      input: structuredClone(call.input),
      line: `${call.service}.${call.method}${detail}`,
    });
  }

  of(method: string): RecordedCall[] {
    return this.entries.filter((c) => c.method === method);
  }

  /** The calls' one-line summaries, in order. */
  get lines(): string[] {
    return this.entries.map((c) => c.line);
  }

  get length(): number {
    return this.entries.length;
  }
}

/**
 * A fake that records its calls in the shared log and fails them when a test says so: the next calls of a
 * method (`failNext`), or any call a predicate picks (`failWith`).
 */
export abstract class RecordingFake {
  failWith?: (method: string, input: unknown) => Error | undefined;
  private readonly queued = new Map<string, Error[]>();

  constructor(
    readonly calls: CallLog,
    private readonly service: RecordedCall["service"],
  ) {}

  failNext(method: string, error: Error): void {
    this.queued.set(method, [...(this.queued.get(method) ?? []), error]);
  }

  /** This fake's calls of `method`. */
  callsOf(method: string): RecordedCall[] {
    return this.calls.of(method).filter((c) => c.service === this.service);
  }

  protected record(method: string, scope: AccessScope, input: unknown, detail = ""): void {
    this.calls.add({ service: this.service, method, scope, input }, detail);
    const error = this.queued.get(method)?.shift() ?? this.failWith?.(method, input);
    if (error) throw error;
  }
}
