/**
 * Asynchronous, at-least-once delivery of matched events to rule targets: no ordering promise, retries
 * with exponential backoff and jitter within the target's RetryPolicy, then the dead-letter queue.
 * Every delivery is tracked so `drain()` can wait until nothing is pending (deterministic tests, and the
 * local runtime's "wait until the pipeline is idle"). An error that cannot succeed on a retry
 * (isRetriable: `retryable: false`, permissions, validation, RangeError such as a stack overflow) is
 * dead-lettered after its one attempt. `stop()` does not wait for backoff: see DeliveryEngine.stop.
 */
import { setMaxListeners } from "node:events";
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
  /** Deliver every event to every target this many times (default 1)... */
  duplicates?: number;
  /** ...or a random number of times from `duplicates` to this (inclusive), per event and target. */
  maxDuplicates?: number;
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
  /** Extra deliveries chaos made (every copy of an event beyond the first). */
  duplicated: number;
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

const STOPPED_BEFORE_ATTEMPT =
  "The local EventBridge stopped before this delivery was attempted; re-drive it after the next start.";

export class DeliveryEngine {
  readonly metrics: DeliveryMetrics = {
    invocations: 0,
    failedInvocations: 0,
    retries: 0,
    sentToDeadLetterQueue: 0,
    failedToBeSentToDeadLetterQueue: 0,
    dropped: 0,
    duplicated: 0,
  };
  readonly internalErrors: unknown[] = [];
  private readonly pending = new Set<Promise<void>>();
  /** Aborted by stop(): wakes every delivery sleeping on a backoff or a chaos delay. */
  private readonly stopping = new AbortController();

  constructor(private readonly options: DeliveryEngineOptions) {
    // Every sleeping delivery listens on this one signal; there may be thousands, and that is no leak.
    setMaxListeners(0, this.stopping.signal);
  }

  get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /**
   * Stops without blocking on retry backoff. Invocations already running are let finish (a handler cannot
   * be interrupted safely); a failure among them is dead-lettered, not retried. A delivery waiting for its
   * next retry, and one not attempted yet (a chaos delay, or scheduled after stop), is dead-lettered at once
   * with `interruptedBy: "stop"` (and counted as dropped, with onUndeliverable, for a target without a
   * dead-letter queue): pending retries are persisted in the dead-letter queue, never silently dropped nor
   * waited for, and `aurora-restore local dlq redrive` delivers them after the next start.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.drain();
  }

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
    const least = Math.max(1, Math.floor(chaos?.duplicates ?? 1));
    const most = Math.max(least, Math.floor(chaos?.maxDuplicates ?? least));
    const expanded = jobs.flatMap((job) => {
      const copies = least + Math.floor(random() * (most - least + 1));
      this.metrics.duplicated += copies - 1;
      return Array.from({ length: copies }, () => job);
    });
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
    const signal = this.stopping.signal;
    if (!signal.aborted) await runtime.sleep(initialDelayMs, signal);
    if (signal.aborted) {
      const error = Object.assign(new Error(STOPPED_BEFORE_ATTEMPT), { code: "LocalEventBridgeStopped" });
      return this.fail(job, error, 0, null, true, "stop");
    }
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
        if (!signal.aborted) {
          this.metrics.retries++;
          await runtime.sleep(delay, signal);
        }
        // Stopped before (or while) waiting for the retry: persist it instead of retrying or waiting.
        if (signal.aborted) return this.fail(job, error, attempts, null, true, "stop");
      }
    }
  }

  private fail(
    job: DeliveryJob,
    error: unknown,
    attempts: number,
    exhausted: ExhaustedRetryCondition | null,
    retriable: boolean,
    interruptedBy?: "stop",
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
        retryAttempts: Math.max(0, attempts - 1),
        exhaustedRetryCondition: exhausted,
        retriable,
        ...(interruptedBy ? { interruptedBy } : {}),
        event: job.event,
      });
      this.metrics.sentToDeadLetterQueue++;
    } catch (dlqError) {
      this.metrics.failedToBeSentToDeadLetterQueue++;
      this.options.onUndeliverable?.(job, dlqError);
    }
  }
}
