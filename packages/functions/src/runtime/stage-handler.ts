import {
  type AnyDomainEventContract,
  type DomainEventDetail,
  type ParsedEnvelope,
  PIPELINE_SOURCE,
  RDS_SOURCE,
  type RdsEvent,
  rdsEventSchema,
  type StageDeps,
  type StageName,
  sanitize,
} from "@aurora-restore/core";
import { awsStageDeps } from "./aws-deps";
import { NonRetryableEventError } from "./errors";
import { sanitizingLogger, withLogKeys } from "./logging";

/**
 * The shared Lambda/local handler runtime: pick the contract by detail-type, parse, tag the logger with the
 * operation id, count, run the stage's domain function. The same `handle` runs under the local bus.
 */

/** A parsed pipeline event; `detailType` is the contract's literal, so `switch (event.detailType)` narrows. */
export type ContractEvent<C extends AnyDomainEventContract> = C extends AnyDomainEventContract
  ? Omit<ParsedEnvelope<DomainEventDetail<C>>, "detailType"> & { detailType: C["detailType"]; contract: C }
  : never;

/** A scheduled invocation (EventBridge rule or Scheduler: source aws.events / aws.scheduler). */
export interface ScheduledTick {
  id: string;
  time: string;
}

export interface StageHandlerOptions<C extends AnyDomainEventContract> {
  service: StageName;
  /** Pipeline events this service accepts (its subscriptions on the custom bus). */
  contracts: readonly C[];
  run?: (event: ContractEvent<C>, deps: StageDeps) => Promise<void>;
  /** RDS's own events from the default bus (trigger: snapshot created; watcher: resource changed). */
  onRdsEvent?: (event: RdsEvent, deps: StageDeps) => Promise<void>;
  /** Scheduled ticks (watcher). */
  onSchedule?: (tick: ScheduledTick, deps: StageDeps) => Promise<void>;
  /** Builds the dependencies `handler` uses, once, on its first call. Default: awsStageDeps(process.env). */
  buildDeps?: () => StageDeps;
}

export interface StageHandler {
  readonly service: StageName;
  /** The Lambda entry point: AWS dependencies are built on the first call, never at import time. */
  handler: (event: unknown) => Promise<void>;
  /** The same processing with injected dependencies (local runtime, tests). */
  handle: (event: unknown, deps: StageDeps) => Promise<void>;
}

const SCHEDULE_SOURCES = new Set(["aws.events", "aws.scheduler"]);
const SCHEDULED_DETAIL_TYPE = "Scheduled Event";

type RawEvent = {
  id?: unknown;
  source?: unknown;
  "detail-type"?: unknown;
  time?: unknown;
  detail?: { operationId?: unknown; target?: unknown };
};

export function stageHandler<C extends AnyDomainEventContract>(
  options: StageHandlerOptions<C>,
): StageHandler {
  const { service } = options;
  if (options.contracts.length > 0 && !options.run) {
    throw new Error(`stageHandler(${service}): contracts are given but no run function handles them`);
  }
  const byDetailType = new Map<string, C>(options.contracts.map((c) => [c.detailType, c]));

  async function handle(event: unknown, deps: StageDeps): Promise<void> {
    const raw = (event ?? {}) as RawEvent;
    const source = typeof raw.source === "string" ? raw.source : "(none)";
    const detailType = typeof raw["detail-type"] === "string" ? raw["detail-type"] : "(none)";
    const eventId = typeof raw.id === "string" ? raw.id : "(none)";
    const baseLogger = sanitizingLogger(deps.logger);
    const started = deps.clock().getTime();
    deps.metrics.count("EventsReceived", 1, { service, detailType });

    const reject = async (reason: string, cause?: unknown): Promise<never> => {
      const operationId = typeof raw.detail?.operationId === "string" ? raw.detail.operationId : undefined;
      baseLogger.error("Rejected an event this service cannot process", {
        service,
        eventId,
        source,
        detailType,
        operationId,
        reason,
      });
      deps.metrics.count("EventsRejected", 1, { service, detailType });
      if (operationId)
        await auditRejection(deps, service, operationId, eventId, detailType, reason, baseLogger);
      throw new NonRetryableEventError(
        `${service} rejected ${source}/${detailType} event ${eventId}: ${reason}`,
        {
          cause,
        },
      );
    };

    const invoke = async (keys: Record<string, unknown>, run: (d: StageDeps) => Promise<void>) => {
      const logger = withLogKeys(baseLogger, { service, eventId, detailType, ...keys });
      const scoped: StageDeps = { ...deps, logger };
      try {
        await run(scoped);
        deps.metrics.count("EventsProcessed", 1, { service, detailType });
      } catch (error) {
        deps.metrics.count("HandlerErrors", 1, { service, detailType });
        logger.error("Handler failed", { error: sanitize(error) });
        throw error;
      } finally {
        deps.metrics.durationMs("HandlerDuration", deps.clock().getTime() - started, { service });
      }
    };

    if (source === RDS_SOURCE) {
      if (!options.onRdsEvent) return reject(`${service} does not subscribe to RDS events`);
      const parsed = rdsEventSchema.safeParse(event);
      if (!parsed.success)
        return reject(`not a valid RDS event: ${parsed.error.issues[0]?.message}`, parsed.error);
      const rdsEvent = parsed.data;
      const onRdsEvent = options.onRdsEvent;
      return invoke(
        { rdsEventId: rdsEvent.detail.EventID, sourceIdentifier: rdsEvent.detail.SourceIdentifier },
        (d) => onRdsEvent(rdsEvent, d),
      );
    }

    if (SCHEDULE_SOURCES.has(source) && detailType === SCHEDULED_DETAIL_TYPE) {
      if (!options.onSchedule) return reject(`${service} is not a scheduled service`);
      const tick: ScheduledTick = {
        id: eventId,
        time: typeof raw.time === "string" ? raw.time : deps.clock().toISOString(),
      };
      const onSchedule = options.onSchedule;
      return invoke({ tickId: tick.id }, (d) => onSchedule(tick, d));
    }

    const contract = source === PIPELINE_SOURCE ? byDetailType.get(detailType) : undefined;
    if (!contract || !options.run) {
      const accepted = options.contracts.map((c) => c.detailType).join(", ") || "no pipeline events";
      return reject(`${service} accepts ${accepted}`);
    }
    let parsed: ParsedEnvelope<DomainEventDetail<C>>;
    try {
      parsed = contract.parseEnvelope(event) as ParsedEnvelope<DomainEventDetail<C>>;
    } catch (error) {
      return reject(`invalid ${contract.detailType}: ${describeParseError(error)}`, error);
    }
    const contractEvent = { ...parsed, contract } as unknown as ContractEvent<C>;
    const run = options.run;
    const detail = parsed.detail as { operationId: string; correlationId: string };
    return invoke(
      {
        operationId: detail.operationId,
        correlation_id: detail.operationId,
        correlationId: detail.correlationId,
        ...(parsed.replayName ? { replayName: parsed.replayName } : {}),
      },
      (d) => run(contractEvent, d),
    );
  }

  const buildDeps = options.buildDeps ?? (() => awsStageDeps(process.env, { service }));
  let deps: StageDeps | undefined;
  return {
    service,
    handle,
    handler: async (event) => {
      deps ??= buildDeps();
      await handle(event, deps);
    },
  };
}

function describeParseError(error: unknown): string {
  const issues = (error as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
  if (Array.isArray(issues) && issues.length > 0) {
    return issues
      .slice(0, 5)
      .map((i) => `${i.path.map(String).join(".") || "(event)"}: ${i.message}`)
      .join("; ");
  }
  return error instanceof Error ? error.message : String(error);
}

async function auditRejection(
  deps: StageDeps,
  service: StageName,
  operationId: string,
  eventId: string,
  detailType: string,
  reason: string,
  logger: StageDeps["logger"],
): Promise<void> {
  try {
    const operation = await deps.store.get(operationId);
    const plan = operation ? await deps.plans.get(operation.planId).catch(() => undefined) : undefined;
    await deps.audit.append(
      {
        operationId,
        targetKey: operation?.targetKey ?? "unknown",
        stage: service,
        action: `receive ${detailType}`,
        actor: deps.actor,
        outcome: "rejected",
        eventId,
        details: { reason },
      },
      { at: deps.clock().toISOString(), compliance: plan?.compliance ?? "default" },
    );
  } catch (error) {
    // The rejection itself is what matters; a failed audit write is logged, not allowed to mask it.
    logger.error("Could not audit a rejected event", { operationId, error: sanitize(error) });
  }
}
