/**
 * Asynchronous, at-least-once delivery of matched events to rule targets: no ordering promise, retries
 * with exponential backoff and jitter within the target's RetryPolicy, then the dead-letter queue.
 * Every delivery is tracked so `drain()` can wait until nothing is pending (deterministic tests, and the
 * local runtime's "wait until the pipeline is idle").
 */
import type { DeadLetterQueue } from "./dead-letter-queue";
import type { EventBridgeEvent } from "./envelope";
import {
  type BackoffOptions,
  backoffDelayMs,
  type ExhaustedRetryCondition,
  errorCodeOf,
  errorMessageOf,
  isRetriable,
  type RetryPolicy,
} from "./retry";
import type { EventBridgeRuntime } from "./runtime";

/** Where an invocation comes from; optional reading for targets (the archive writer needs the hop). */
export interface DeliveryContext {
  ruleName: string;
  ruleArn: string;
  eventBusArn: string;
  /** 1 for the first invocation of this delivery, 2 for the first retry, ... */
  attempt: number;
  /** The bus the event was forwarded from, when it arrived through a forwarding rule. */
  forwardedFrom?: string;
}

/** A rule target that runs code: a stage handler, a test spy, the archive writer. */
export interface FunctionTarget {
  id: string;
  invoke(event: EventBridgeEvent, context?: DeliveryContext): Promise<void>;
  retryPolicy?: Partial<RetryPolicy>;
  /** Dead-letter failed events (the default). `false` drops them as AWS does without a DLQ (counted). */
  deadLetter?: boolean;
}

/** A rule target that is another event bus (forwarding, e.g. to another account's custom bus). */
export interface BusTarget {
  id: string;
  arn: string;
  retryPolicy?: Partial<RetryPolicy>;
  deadLetter?: boolean;
}

/** What `putTargets` accepts: a function target, a bus target, or just the bus ARN. */
export type RuleTarget = FunctionTarget | BusTarget | string;

export type ResolvedTarget =
  | {
      kind: "function";
      id: string;
      invoke: FunctionTarget["invoke"];
      retryPolicy: RetryPolicy;
      deadLetter: boolean;
    }
  | { kind: "bus"; id: string; arn: string; retryPolicy: RetryPolicy; deadLetter: boolean };

export interface DeliveryJob {
  event: EventBridgeEvent;
  ruleArn: string;
  ruleName: string;
  eventBusArn: string;
  target: ResolvedTarget;
  /** When EventBridge took the event in: the origin of its age for MaximumEventAgeInSeconds. */
  receivedAtMs: number;
  /** Set when the event reached this bus through a forwarding rule (it is then never forwarded again). */
  forwardedFrom?: string;
}

/** Test knobs for the reliability work: duplicates, reordering and delays, all from the injected runtime. */
export interface ChaosOptions {
  /** Deliver every event to every target this many times (default 1). */
  duplicates?: number;
  /** Shuffle the deliveries produced by one PutEvents call or replay window. */
  shuffle?: boolean;
  /** Wait a random 0..maxDelayMs before each delivery. */
  maxDelayMs?: number;
}

export interface DeliveryMetrics {
  invocations: number;
  failedInvocations: number;
  retries: number;
  sentToDeadLetterQueue: number;
  failedToBeSentToDeadLetterQueue: number;
  dropped: number;
}

export interface DeliveryEngineOptions {
  runtime: EventBridgeRuntime;
  deadLetters: DeadLetterQueue;
  backoff: BackoffOptions;
  chaos: () => ChaosOptions | undefined;
  /** Hands an event to another bus; throws (non-retriably) when that bus does not exist. */
  forward(job: DeliveryJob, targetBusArn: string): Promise<void>;
  /** Observer for failures that leave the normal path (dropped events, a DLQ write that failed). */
  onUndeliverable?(job: DeliveryJob, error: unknown): void;
}

export class DeliveryEngine {
  readonly metrics: DeliveryMetrics = {
    invocations: 0,
    failedInvocations: 0,
    retries: 0,
    sentToDeadLetterQueue: 0,
    failedToBeSentToDeadLetterQueue: 0,
    dropped: 0,
  };
  readonly internalErrors: unknown[] = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: DeliveryEngineOptions) {}

  /**
   * Starts background work and keeps track of it until it settles. Background work must never become an
   * unhandled rejection (that would kill the process): a failure here is a bug of the bus or of an
   * observer callback, so it is logged and remembered in `internalErrors` for tests to assert on.
   */
  track(work: Promise<void>): void {
    const tracked: Promise<void> = work
      .catch((error: unknown) => {
        this.internalErrors.push(error);
        console.error("local EventBridge: background work failed", error);
      })
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /** Resolves once no delivery, retry, forward or replay is pending (including work started meanwhile). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Queues deliveries; none runs before this returns (delivery is always asynchronous). */
  schedule(jobs: DeliveryJob[]): void {
    const chaos = this.options.chaos();
    const { random } = this.options.runtime;
    const copies = Math.max(1, Math.floor(chaos?.duplicates ?? 1));
    const expanded = jobs.flatMap((job) => Array.from({ length: copies }, () => job));
    if (chaos?.shuffle) {
      for (let i = expanded.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [expanded[i], expanded[j]] = [expanded[j]!, expanded[i]!];
      }
    }
    for (const job of expanded) {
      const delay = chaos?.maxDelayMs ? Math.floor(random() * chaos.maxDelayMs) : 0;
      this.track(this.deliver(job, delay));
    }
  }

  private async invoke(job: DeliveryJob, attempt: number): Promise<void> {
    if (job.target.kind === "bus") return this.options.forward(job, job.target.arn);
    const context: DeliveryContext = {
      ruleName: job.ruleName,
      ruleArn: job.ruleArn,
      eventBusArn: job.eventBusArn,
      attempt,
      ...(job.forwardedFrom ? { forwardedFrom: job.forwardedFrom } : {}),
    };
    // Each invocation gets its own copy: a handler that mutates its event must not affect the others.
    return job.target.invoke(structuredClone(job.event), context);
  }

  private async deliver(job: DeliveryJob, initialDelayMs: number): Promise<void> {
    const { runtime, backoff } = this.options;
    const policy = job.target.retryPolicy;
    await runtime.sleep(initialDelayMs);
    for (let attempts = 1; ; attempts++) {
      try {
        this.metrics.invocations++;
        await this.invoke(job, attempts);
        return;
      } catch (error) {
        this.metrics.failedInvocations++;
        if (!isRetriable(error)) return this.fail(job, error, attempts, null, false);
        if (attempts - 1 >= policy.maximumRetryAttempts) {
          return this.fail(job, error, attempts, "MaximumRetryAttempts", true);
        }
        const delay = backoffDelayMs(attempts, runtime.random, backoff);
        const ageAtRetryMs = runtime.now().getTime() + delay - job.receivedAtMs;
        if (ageAtRetryMs > policy.maximumEventAgeInSeconds * 1000) {
          return this.fail(job, error, attempts, "MaximumEventAgeInSeconds", true);
        }
        this.metrics.retries++;
        await runtime.sleep(delay);
      }
    }
  }

  private fail(
    job: DeliveryJob,
    error: unknown,
    attempts: number,
    exhausted: ExhaustedRetryCondition | null,
    retriable: boolean,
  ): void {
    if (!job.target.deadLetter) {
      this.metrics.dropped++;
      this.options.onUndeliverable?.(job, error);
      return;
    }
    try {
      this.options.deadLetters.add({
        messageId: this.options.runtime.uuid(),
        sentAt: this.options.runtime.now().toISOString(),
        ruleArn: job.ruleArn,
        ruleName: job.ruleName,
        eventBusArn: job.eventBusArn,
        targetId: job.target.id,
        ...(job.target.kind === "bus" ? { targetArn: job.target.arn } : {}),
        errorCode: errorCodeOf(error),
        errorMessage: errorMessageOf(error),
        attempts,
        retryAttempts: attempts - 1,
        exhaustedRetryCondition: exhausted,
        retriable,
        event: job.event,
      });
      this.metrics.sentToDeadLetterQueue++;
    } catch (dlqError) {
      this.metrics.failedToBeSentToDeadLetterQueue++;
      this.options.onUndeliverable?.(job, dlqError);
    }
  }
}
