import { createSqsSender } from "@aurora-restore/aws/aws-sqs";
import {
  type AnyDomainEventContract,
  asDelivery,
  type DomainEventDetail,
  environmentNames,
  eventIdPattern,
  type IsScheduled,
  isOperationId,
  type OperationInfo,
  type ParsedEnvelope,
  PIPELINE_SOURCE,
  printable,
  RDS_SOURCE,
  type RdsEvent,
  rdsDetailTypes,
  rdsEventSchema,
  type StageDeclaration,
  type StageDeps,
  type StageName,
  type SubscribedContract,
  type SubscribesToRds,
  sanitize,
  subscribedContracts,
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
export interface StageHandlerRuntime {
  /** Builds the dependencies `handler` uses, once, on its first call. Default: awsStageDeps(process.env). */
  buildDeps?: () => StageDeps;
  /**
   * Where `handler` puts a rejected event (built on the first rejection). Default: the stage's SQS
   * dead-letter queue, from AURORA_RESTORE_DEAD_LETTER_QUEUE_URL.
   */
  buildDeadLetterQueue?: () => DeadLetterQueue;
}

/** A stage's dead-letter queue, as the Lambda entry point uses it for the events it rejects. */
export interface DeadLetterQueue {
  send(body: string): Promise<void>;
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
 * The handler of a stage, built from its declaration: the pipeline contracts it accepts, whether it takes RDS
 * events and scheduled ticks all come from `declaration`; `functions` says what to do with each.
 */
export function stageHandler<D extends StageDeclaration>(
  declaration: D,
  functions: NoInfer<StageFunctions<D>>,
  runtime: StageHandlerRuntime = {},
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

  async function handle(event: unknown, deps: StageDeps): Promise<void> {
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

  const buildDeps = runtime.buildDeps ?? (() => awsStageDeps(process.env, { stage }));
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

/** The dead-letter queue URL every function is deployed with (the stacks set it to its stage's queue). */
function sqsDeadLetterQueue(env: Record<string, string | undefined>): DeadLetterQueue {
  const queueUrl = env[environmentNames.deadLetterQueueUrl]?.trim();
  if (!queueUrl) {
    throw new Error(
      `${environmentNames.deadLetterQueueUrl} is not set: set it to the stage's dead-letter queue URL`,
    );
  }
  const sender = createSqsSender({ queueUrl });
  return {
    send: async (body) => {
      await sender.sendMessage(body);
    },
  };
}

/**
 * A rejected event as the dead-letter queue keeps it: the shape Lambda gives the invocations it sends to a
 * failure destination (the event in `requestPayload`), so one procedure reads both (README, Operate).
 */
export function rejectedEventRecord(stage: StageName, event: unknown, error: Error, at: Date) {
  return {
    version: "1.0",
    timestamp: at.toISOString(),
    // `service` is the record's key operators read (README, Operate): kept as it is on the wire.
    requestContext: { condition: "RejectedEvent", service: stage, approximateInvokeCount: 1 },
    requestPayload: event,
    responseContext: { functionError: "Unhandled" },
    responsePayload: { errorType: error.name, errorMessage: error.message },
  };
}

function describeParseError(error: unknown): string {
  const issues = (error as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
  if (Array.isArray(issues) && issues.length > 0) {
    return issues
      .slice(0, 5)
      .map(
        (i) => `${i.path.map((p) => printable(p, 64)).join(".") || "(event)"}: ${printable(i.message, 300)}`,
      )
      .join("; ");
  }
  return printable(error instanceof Error ? error.message : error, 1_000);
}

function claimedOperationId(detail: unknown): string | undefined {
  const value = isRecord(detail) ? detail.operationId : undefined;
  return value === undefined ? undefined : printable(value, 80);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The operation whose audit trail a rejected event may be written to, or why none. An event that fails
 * validation is untrusted: it goes into a trail only when it is a pipeline event naming an operation that
 * exists, with that operation's correlation id, and nothing in it (target, cluster account and region,
 * plan, target cluster of a manual request) contradicts the operation. Anything else (no or malformed
 * operation id, an operation that does not exist, another operation's trail) is logged and counted only:
 * a forged event must not be able to write into a real operation's trail, nor make new partitions in the
 * audit table.
 */
export async function rejectionOwner(
  deps: StageDeps,
  source: string,
  detail: unknown,
): Promise<{ operation: OperationInfo } | { notAudited: string }> {
  if (source !== PIPELINE_SOURCE) return { notAudited: "not a pipeline event" };
  if (!isRecord(detail)) return { notAudited: "no detail" };
  if (detail.operationId === undefined) return { notAudited: "names no operation" };
  if (!isOperationId(detail.operationId)) return { notAudited: "the operation id is malformed" };
  let operation: OperationInfo | undefined;
  try {
    operation = await deps.store.get(detail.operationId);
  } catch (error) {
    deps.logger.error("Could not look up the operation a rejected event names", { error: sanitize(error) });
    return { notAudited: "the operation could not be looked up" };
  }
  if (!operation) return { notAudited: "no such operation" };
  if (detail.correlationId !== operation.correlationId) {
    return { notAudited: "its correlation id is not the operation's" };
  }
  // Compared field by field with ===: nothing of the untrusted detail is converted to a string.
  const target = operation.target;
  const sameLocation = (ref: unknown) =>
    isRecord(ref) && ref.accountId === target.accountId && ref.region === target.region;
  const sameTarget = (ref: unknown) =>
    sameLocation(ref) && isRecord(ref) && ref.clusterIdentifier === target.clusterIdentifier;
  if ("target" in detail && !sameTarget(detail.target)) {
    return { notAudited: "its target is not the operation's" };
  }
  if ("cluster" in detail && !sameLocation(detail.cluster)) {
    return { notAudited: "its cluster is not in the operation's target account and region" };
  }
  if ("planId" in detail && detail.planId !== operation.planId) {
    return { notAudited: "its plan is not the operation's" };
  }
  if ("targetClusterId" in detail && detail.targetClusterId !== target.clusterIdentifier) {
    return { notAudited: "its target cluster is not the operation's" };
  }
  return { operation };
}

async function auditRejection(
  deps: StageDeps,
  stage: StageName,
  operation: OperationInfo,
  eventId: string,
  detailType: string,
  reason: string,
  logger: StageDeps["logger"],
): Promise<void> {
  try {
    const compliance =
      operation.compliance ??
      (await deps.plans.get(operation.planId).then(
        (plan) => plan.compliance,
        () => undefined,
      )) ??
      "default";
    await deps.audit.append(
      {
        operationId: operation.operationId,
        targetKey: operation.targetKey,
        stage,
        action: `receive ${printable(detailType, 128)}`,
        actor: deps.actor,
        outcome: "rejected",
        eventId: printable(eventId, 128),
        details: { reason },
      },
      { at: deps.clock().toISOString(), compliance },
    );
  } catch (error) {
    // The rejection itself is what matters; a failed audit write is logged, not allowed to mask it.
    logger.error("Could not audit a rejected event", {
      operationId: operation.operationId,
      error: sanitize(error),
    });
  }
}
