import type {
  AccessScope,
  DatabasePort,
  DbSession,
  EventPublisherPort,
  KmsPort,
  NotificationPort,
  RdsPort,
  SecretsPort,
} from "@aurora-restore/core/ports/index";
import type { StageDeps } from "@aurora-restore/core/stages/kit";

/** The ports whose calls are counted: every side effect a stage can have outside its own tables. */
export type CountedPort = "rds" | "kms" | "secrets" | "sns" | "events" | "database";

/** One call through a stage's port, as the port saw it. */
export interface PortCall {
  port: CountedPort;
  /**
   * The API called (`modifyCluster`, `createSecret`, `publish`...), the detail-type of an event put on the
   * bus, or for the database `connect` and each statement's kind (`CREATE ROLE`, `ALTER ROLE`, `GRANT`,
   * `SELECT`, `UPDATE`...: post-restore SQL is counted under its own kind).
   */
  call: string;
  /** The stage whose deps made the call (e.g. "configure"). */
  stage: string;
  /** `account/region` for AWS ports; `host:port/database` for the database. */
  location?: string;
  /** The resource named: cluster, snapshot or instance identifier, secret, topic, key, event source, user. */
  subject?: string;
  ok: boolean;
  /** The error code of a failed call (AWS error name, SQLSTATE). */
  code?: string;
}

export interface CallFilter {
  stage?: string;
  subject?: string;
  location?: string;
  /** Default true: successful calls only (a refused call had no effect). */
  ok?: boolean;
}

/**
 * Counts every call the stages make through their ports (a decorator on the deps each stage gets), in
 * either cluster mode: RDS, KMS, Secrets Manager, SNS, EventBridge PutEvents, and database connections and
 * statements. Counts cover the whole runtime, not one operation; a test reads them before and after, or
 * filters by subject (e.g. a target cluster's name), to assert that each side effect happened exactly once.
 */
/**
 * Fault injection for the reliability suite: called before each port call (return an error to make the call
 * fail with it, without running it: throttling, AccessDenied...) and after each successful one (a crash test
 * kills the process there: the side effect happened, its record did not).
 */
export type PortFaults = (
  call: Omit<PortCall, "ok" | "code">,
  phase: "before" | "after",
) => Error | undefined;

export class PortCounters {
  readonly #calls: PortCall[] = [];
  /** Set by tests only; never by the CLI or the demo. */
  faults: PortFaults | undefined;
  /** How many calls `faults` made fail. */
  injected = 0;

  #inject(call: Omit<PortCall, "ok" | "code">): void {
    const error = this.faults?.(call, "before");
    if (!error) return;
    this.injected += 1;
    this.record({ ...call, ok: false, code: codeOf(error) });
    throw error;
  }

  /** Every call so far, in order. */
  get calls(): readonly PortCall[] {
    return this.#calls;
  }

  /** How many calls of `port`.`call` matched the filter (by default: the successful ones). */
  count(port: CountedPort, call: string, filter: CallFilter = {}): number {
    return this.#matching(filter).filter((c) => c.port === port && c.call === call).length;
  }

  /** Calls per port and call name, e.g. `{ rds: { modifyCluster: 3 }, database: { "CREATE ROLE": 2 } }`. */
  totals(filter: CallFilter = {}): Record<CountedPort, Record<string, number>> {
    const totals: Record<CountedPort, Record<string, number>> = {
      rds: {},
      kms: {},
      secrets: {},
      sns: {},
      events: {},
      database: {},
    };
    for (const call of this.#matching(filter)) {
      const byCall = totals[call.port];
      byCall[call.call] = (byCall[call.call] ?? 0) + 1;
    }
    return totals;
  }

  reset(): void {
    this.#calls.length = 0;
  }

  record(call: PortCall): void {
    this.#calls.push(call);
  }

  /** The deps of `stage` with each port counted. */
  wrapDeps(deps: StageDeps, stage: string): StageDeps {
    return {
      ...deps,
      rds: (scope) => this.wrapAws("rds", deps.rds(scope), stage, scope),
      kms: (scope) => this.wrapAws("kms", deps.kms(scope), stage, scope),
      secrets: (scope) => this.wrapAws("secrets", deps.secrets(scope), stage, scope),
      notifications: this.wrapAws("sns", deps.notifications, stage),
      publisher: this.wrapPublisher(deps.publisher, stage),
      database: this.wrapDatabase(deps.database, stage),
    };
  }

  /** Counts every method of an AWS port (a call that throws is counted as failed, with its code). */
  wrapAws<T extends RdsPort | KmsPort | SecretsPort | NotificationPort>(
    port: CountedPort,
    target: T,
    stage: string,
    scope?: AccessScope,
  ): T {
    const location = scope ? `${scope.accountId}/${scope.region}` : undefined;
    const wrapped = new Map<PropertyKey, unknown>();
    return new Proxy(target, {
      get: (object, property, receiver) => {
        const value = Reflect.get(object, property, receiver) as unknown;
        if (typeof value !== "function" || typeof property !== "string") return value;
        let counted = wrapped.get(property);
        if (!counted) {
          const method = value as (...args: unknown[]) => Promise<unknown>;
          counted = async (...args: unknown[]) => {
            const base = {
              port,
              call: property,
              stage,
              ...(location ? { location } : {}),
              ...subjectOf(property, args[0]),
            };
            this.#inject(base);
            try {
              const result = await method.apply(object, args);
              this.record({ ...base, ok: true });
              this.faults?.(base, "after");
              return result;
            } catch (error) {
              this.record({ ...base, ok: false, code: codeOf(error) });
              throw error;
            }
          };
          wrapped.set(property, counted);
        }
        return counted;
      },
    });
  }

  wrapPublisher(publisher: EventPublisherPort, stage: string): EventPublisherPort {
    return {
      putEvents: async (entries) => {
        const calls = entries.map((e) => ({
          port: "events" as const,
          call: e.DetailType,
          stage,
          subject: e.Source,
          ...(e.EventBusName ? { location: e.EventBusName } : {}),
        }));
        for (const call of calls) this.#inject(call);
        try {
          const result = await publisher.putEvents(entries);
          calls.forEach((call, i) => {
            const entry = result.Entries[i];
            this.record(
              entry?.ErrorCode ? { ...call, ok: false, code: entry.ErrorCode } : { ...call, ok: true },
            );
          });
          return result;
        } catch (error) {
          for (const call of calls) this.record({ ...call, ok: false, code: codeOf(error) });
          throw error;
        }
      },
    };
  }

  wrapDatabase(database: DatabasePort, stage: string): DatabasePort {
    return {
      connect: async (endpoint) => {
        const base = {
          port: "database" as const,
          stage,
          location: `${endpoint.host}:${endpoint.port}/${endpoint.database}`,
          subject: endpoint.user,
        };
        let session: DbSession;
        this.#inject({ ...base, call: "connect" });
        try {
          session = await database.connect(endpoint);
        } catch (error) {
          this.record({ ...base, call: "connect", ok: false, code: codeOf(error) });
          throw error;
        }
        this.record({ ...base, call: "connect", ok: true });
        return {
          query: async <Row extends Record<string, unknown> = Record<string, unknown>>(
            text: string,
            values?: unknown[],
          ) => {
            const call = statementKind(text);
            this.#inject({ ...base, call });
            try {
              const result = await session.query<Row>(text, values);
              this.record({ ...base, call, ok: true });
              this.faults?.({ ...base, call }, "after");
              return result;
            } catch (error) {
              this.record({ ...base, call, ok: false, code: codeOf(error) });
              throw error;
            }
          },
          escapeIdentifier: (name) => session.escapeIdentifier(name),
          escapeLiteral: (value) => session.escapeLiteral(value),
          close: () => session.close(),
        };
      },
    };
  }

  #matching(filter: CallFilter): PortCall[] {
    const ok = filter.ok ?? true;
    return this.#calls.filter(
      (c) =>
        c.ok === ok &&
        (filter.stage === undefined || c.stage === filter.stage) &&
        (filter.subject === undefined || c.subject === filter.subject) &&
        (filter.location === undefined || c.location === filter.location),
    );
  }
}

/** `CREATE ROLE`, `ALTER ROLE`, `GRANT`, `SELECT`, `UPDATE`...: the statement's leading keywords. */
export function statementKind(text: string): string {
  const words = text
    .replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, " ")
    .trim()
    .split(/[\s(;]+/, 3)
    .map((w) => w.toUpperCase());
  const [first = "", second = "", third = ""] = words;
  if (["CREATE", "ALTER", "DROP"].includes(first)) {
    if (second === "OR" || second === "UNIQUE") return `${first} ${second} ${third}`.trim();
    return `${first} ${second}`.trim();
  }
  return first || "EMPTY";
}

/** What the call is about: its identifier argument, or the identifying field of what it creates or changes. */
function subjectOf(call: string, arg: unknown): { subject?: string } {
  if (typeof arg === "string") return { subject: arg };
  if (!arg || typeof arg !== "object") return {};
  const input = arg as Record<string, unknown>;
  const first = call === "createClusterSnapshot" ? ["snapshotIdentifier"] : [];
  for (const key of [
    ...first,
    "targetIdentifier",
    "clusterIdentifier",
    "instanceIdentifier",
    "snapshotIdentifier",
    "secretId",
    "name",
    "topicArn",
  ]) {
    if (typeof input[key] === "string") return { subject: input[key] };
  }
  return {};
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string" && code !== "") return code;
  return error instanceof Error ? error.name : "UnknownError";
}
