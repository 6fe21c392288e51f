import type {
  AnyDomainEventContract,
  DomainEventDetail,
  ParsedEnvelope,
} from "@aurora-restore/core/events/contract";
import { eventIdPattern } from "@aurora-restore/core/events/identifiers";
import { PIPELINE_SOURCE } from "@aurora-restore/core/events/names";
import { printable } from "@aurora-restore/core/events/printable";
import { RDS_SOURCE, type RdsEvent, rdsDetailTypes, rdsEventSchema } from "@aurora-restore/core/events/rds";
import type { StageName } from "@aurora-restore/core/events/shapes";
import { sanitize } from "@aurora-restore/core/security/secret-names";
import type { StageDeps } from "@aurora-restore/core/stages/kit/deps";
import { asDelivery } from "@aurora-restore/core/stages/kit/lease";
import {
  type DeclaredPort,
  type IsScheduled,
  type StageDeclaration,
  type SubscribedContract,
  type SubscribesToRds,
  subscribedContracts,
} from "@aurora-restore/core/wiring/stage-declaration";
import { awsStageDeps } from "./aws-deps";
import type { AwsPortAdapters } from "./aws-ports/port-adapter";
import { declaredDeps } from "./declared-deps";
import { NonRetryableEventError } from "./errors";
import { sanitizingLogger, withLogKeys } from "./logging";
import {
  auditRejection,
  claimedOperationId,
  type DeadLetterQueue,
  describeParseError,
  rejectedEventRecord,
  rejectionOwner,
  sqsDeadLetterQueue,
} from "./rejected-events";

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

/** A function of a stage: what it does with one delivery. Its result, if any, is not used. */
type StageFunction<E> = (event: E, deps: StageDeps) => Promise<unknown>;

/**
 * What a stage does with each thing it subscribes to, keyed like its declaration: one function per
 * subscribed pipeline contract (by detail type), `onRdsEvent` when it subscribes to RDS events on the default
 * bus, `onSchedule` when it has a schedule. A missing or an extra function is a type error.
 */
export type StageFunctions<D extends StageDeclaration> = {
  [C in SubscribedContract<D> as C["detailType"]]: StageFunction<ContractEvent<C>>;
} & (SubscribesToRds<D> extends true ? { onRdsEvent: StageFunction<RdsEvent> } : { onRdsEvent?: never }) &
  (IsScheduled<D> extends true ? { onSchedule: StageFunction<ScheduledTick> } : { onSchedule?: never });

/** How `handler` builds what it needs (tests and the local runtime replace these). */
export interface StageHandlerRuntime<D extends StageDeclaration = StageDeclaration> {
  /**
   * The AWS adapters of exactly the ports the stage declares, each from its own module: the default deps
   * are built from them, so the stage's Lambda bundle holds no other SDK client (and no pg without the
   * database port).
   */
  awsPorts?: AwsPortAdapters<D>;
  /**
   * Builds the dependencies `handler` uses, once, on its first call. Default: awsStageDeps(process.env)
   * with the `awsPorts`.
   */
  buildDeps?: () => StageDeps;
  /**
   * Where `handler` puts a rejected event (built on the first rejection). Default: the stage's SQS
   * dead-letter queue, from AURORA_RESTORE_DEAD_LETTER_QUEUE_URL.
   */
  buildDeadLetterQueue?: () => DeadLetterQueue;
}

export interface StageHandler {
  readonly stage: StageName;
  /**
   * The Lambda entry point: AWS dependencies are built on the first call, never at import time. A rejected
   * event (NonRetryableEventError) goes to the stage's dead-letter queue at once and the invocation ends
   * normally, so Lambda does not retry it (its asynchronous retries would run whatever the error's type):
   * the same outcome as the local bus, which dead-letters a non-retryable failure without retrying.
   */
  handler: (event: unknown) => Promise<void>;
  /** The same processing with injected dependencies (local runtime, tests): a rejection throws. */
  handle: (event: unknown, deps: StageDeps) => Promise<void>;
}

const SCHEDULE_SOURCES = new Set(["aws.events", "aws.scheduler"]);
const SCHEDULED_DETAIL_TYPE = "Scheduled Event";

type RawEvent = {
  id?: unknown;
  source?: unknown;
  "detail-type"?: unknown;
  time?: unknown;
  detail?: unknown;
};

/**
 * Metric names of the runtime. Dimensions: `service`, the stage's name (the dimension's name is what the
 * stacks' alarms and dashboards query, so it stays), and detailType when it is one the pipeline knows.
 */
export const runtimeMetrics = {
  received: "EventsReceived",
  processed: "EventsProcessed",
  rejected: "EventsRejected",
  /** A rejection that was logged but not written to any operation's audit trail (see rejectionOwner). */
  rejectedNotAudited: "RejectionsNotAudited",
  handlerErrors: "HandlerErrors",
} as const;

const KNOWN_FOREIGN_DETAIL_TYPES = new Set<string>([...Object.values(rdsDetailTypes), SCHEDULED_DETAIL_TYPE]);

/**
 * What a stage's handler is given besides its functions: a stage that declares ports must give their AWS
 * adapters (or build its deps itself), one that declares none may give nothing.
 */
export type StageHandlerRuntimeArgument<D extends StageDeclaration> = [DeclaredPort<D>] extends [never]
  ? [runtime?: StageHandlerRuntime<D>]
  : [
      runtime:
        | (StageHandlerRuntime<D> & { awsPorts: AwsPortAdapters<D> })
        | (StageHandlerRuntime<D> & { buildDeps: () => StageDeps }),
    ];

/**
 * The handler of a stage, built from its declaration: the pipeline contracts it accepts, whether it takes RDS
 * events and scheduled ticks, and the ports its functions may use all come from `declaration`; `functions`
 * says what to do with each.
 */
export function stageHandler<D extends StageDeclaration>(
  declaration: D,
  functions: NoInfer<StageFunctions<D>>,
  ...[runtime = {}]: NoInfer<StageHandlerRuntimeArgument<D>>
): StageHandler {
  const stage = declaration.name;
  // Typed callers cannot get here with a function missing; a declaration typed loosely still can.
  const contracts = subscribedContracts(declaration);
  const byDetailType = new Map<string, { contract: AnyDomainEventContract; run: StageFunction<never> }>();
  for (const contract of contracts) {
    const run = (functions as Record<string, StageFunction<never> | undefined>)[contract.detailType];
    if (!run) throw new Error(`stageHandler(${stage}): no function handles ${contract.detailType}`);
    byDetailType.set(contract.detailType, { contract, run });
  }
  const { onRdsEvent, onSchedule } = functions as {
    onRdsEvent?: StageFunction<RdsEvent>;
    onSchedule?: StageFunction<ScheduledTick>;
  };
  if (declaration.subscriptions.some((s) => s.bus === "default") && !onRdsEvent) {
    throw new Error(`stageHandler(${stage}): it subscribes to RDS events but has no onRdsEvent`);
  }
  if (declaration.schedule && !onSchedule) {
    throw new Error(`stageHandler(${stage}): it has a schedule but no onSchedule`);
  }

  async function handle(event: unknown, given: StageDeps): Promise<void> {
    const deps = declaredDeps(declaration, given);
    const raw = (typeof event === "object" && event !== null ? event : {}) as RawEvent;
    const source = typeof raw.source === "string" ? raw.source : "(none)";
    const detailType = typeof raw["detail-type"] === "string" ? raw["detail-type"] : "(none)";
    const eventId = typeof raw.id === "string" ? raw.id : "(none)";
    // What the event claims is untrusted until parsed: metric dimensions take only names the pipeline
    // knows (a forged detail-type must not mint metrics), log lines and errors a cut, escaped copy.
    const metricDetailType =
      byDetailType.has(detailType) || KNOWN_FOREIGN_DETAIL_TYPES.has(detailType) ? detailType : "(other)";
    const shown = {
      source: printable(source, 128),
      detailType: printable(detailType, 128),
      eventId: printable(eventId, 128),
    };
    const baseLogger = sanitizingLogger(deps.logger);
    const started = deps.clock().getTime();
    deps.metrics.count(runtimeMetrics.received, 1, { service: stage, detailType: metricDetailType });

    const reject = async (reason: string, cause?: unknown): Promise<never> => {
      const why = printable(reason, 1_000);
      const owner = await rejectionOwner(deps, source, raw.detail);
      baseLogger.error("Rejected an event this stage cannot process", {
        service: stage,
        ...shown,
        operationId: "operation" in owner ? owner.operation.operationId : undefined,
        claimedOperationId: claimedOperationId(raw.detail),
        reason: why,
        ...("operation" in owner ? {} : { notAudited: owner.notAudited }),
      });
      deps.metrics.count(runtimeMetrics.rejected, 1, { service: stage, detailType: metricDetailType });
      if ("operation" in owner) {
        await auditRejection(deps, stage, owner.operation, eventId, detailType, why, baseLogger);
      } else {
        deps.metrics.count(runtimeMetrics.rejectedNotAudited, 1, { service: stage });
      }
      throw new NonRetryableEventError(
        `${stage} rejected ${shown.source}/${shown.detailType} event ${shown.eventId}: ${why}`,
        { cause },
      );
    };

    const invoke = async (keys: Record<string, unknown>, run: (d: StageDeps) => Promise<unknown>) => {
      const logger = withLogKeys(baseLogger, { service: stage, eventId: shown.eventId, detailType, ...keys });
      const scoped: StageDeps = { ...deps, logger };
      // Only validated events get here; their detail holds references to secrets, never a secret.
      logger.debug?.("Received", { source: shown.source, detail: sanitize(raw.detail) });
      try {
        // One delivery: the leases it takes end at once if it throws (see asDelivery).
        await asDelivery(scoped, () => run(scoped));
        deps.metrics.count(runtimeMetrics.processed, 1, { service: stage, detailType: metricDetailType });
        logger.debug?.("Handled", { durationMs: deps.clock().getTime() - started });
      } catch (error) {
        deps.metrics.count(runtimeMetrics.handlerErrors, 1, { service: stage, detailType: metricDetailType });
        logger.error("Handler failed", { error: sanitize(error) });
        throw error;
      } finally {
        deps.metrics.durationMs("HandlerDuration", deps.clock().getTime() - started, { service: stage });
      }
    };

    if (source === RDS_SOURCE) {
      if (!onRdsEvent) return reject(`${stage} does not subscribe to RDS events`);
      const parsed = rdsEventSchema.safeParse(event);
      if (!parsed.success)
        return reject(`not a valid RDS event: ${parsed.error.issues[0]?.message}`, parsed.error);
      const rdsEvent = parsed.data;
      return invoke(
        { rdsEventId: rdsEvent.detail.EventID, sourceIdentifier: rdsEvent.detail.SourceIdentifier },
        (d) => onRdsEvent(rdsEvent, d),
      );
    }

    if (SCHEDULE_SOURCES.has(source) && detailType === SCHEDULED_DETAIL_TYPE) {
      if (!onSchedule) return reject(`${stage} is not a scheduled stage`);
      // The tick's id becomes the causation id of what the tick publishes: it must be one.
      if (!eventIdPattern.test(eventId)) return reject("a scheduled event needs an event id (like a UUID)");
      const tick: ScheduledTick = {
        id: eventId,
        time: typeof raw.time === "string" && raw.time.length <= 64 ? raw.time : deps.clock().toISOString(),
      };
      return invoke({ tickId: tick.id }, (d) => onSchedule(tick, d));
    }

    const subscribed = source === PIPELINE_SOURCE ? byDetailType.get(detailType) : undefined;
    if (!subscribed) {
      const accepted = contracts.map((c) => c.detailType).join(", ") || "no pipeline events";
      return reject(`${stage} accepts ${accepted}`);
    }
    const { contract, run } = subscribed;
    let parsed: ParsedEnvelope<{ operationId: string; correlationId: string }>;
    try {
      parsed = contract.parseEnvelope(event) as typeof parsed;
    } catch (error) {
      return reject(`invalid ${contract.detailType}: ${describeParseError(error)}`, error);
    }
    // The contract chose the function, so the event is the one the function's type names.
    const contractEvent = { ...parsed, contract } as never;
    return invoke(
      {
        operationId: parsed.detail.operationId,
        correlationId: parsed.detail.correlationId,
        ...(parsed.replayName ? { replayName: parsed.replayName } : {}),
      },
      (d) => run(contractEvent, d),
    );
  }

  const buildDeps =
    runtime.buildDeps ?? (() => awsStageDeps(process.env, { stage, ports: runtime.awsPorts ?? {} }));
  const buildDeadLetterQueue = runtime.buildDeadLetterQueue ?? (() => sqsDeadLetterQueue(process.env));
  let deps: StageDeps | undefined;
  let deadLetters: DeadLetterQueue | undefined;
  return {
    stage,
    handle,
    handler: async (event) => {
      deps ??= buildDeps();
      try {
        await handle(event, deps);
      } catch (error) {
        if (!(error instanceof NonRetryableEventError)) throw error;
        try {
          deadLetters ??= buildDeadLetterQueue();
          await deadLetters.send(JSON.stringify(rejectedEventRecord(stage, event, error, deps.clock())));
        } catch (sendError) {
          // Not dead-lettered: fail the invocation, so Lambda's retries and then its failure destination
          // (the same queue) still keep the event.
          deps.logger.error("Could not send a rejected event to the dead-letter queue", {
            service: stage,
            error: sanitize(sendError),
          });
          throw error;
        }
        deps.logger.warn("Sent a rejected event to the dead-letter queue; not retried", { service: stage });
      }
    },
  };
}
