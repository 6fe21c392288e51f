import type { AuditEntryInfo, AuditLog } from "@aurora-restore/core/storage/audit";
import type { OperationInfo, OperationStore } from "@aurora-restore/core/storage/operations";
import { waitForOperation } from "@aurora-restore/local/runtime/operation-progress";
import { UsageError } from "../io";
import type { StageProgress } from "../progress/stage-progress";
import { onStopSignal, type StopSignal, signalExitCode } from "../stop-signals";

/** Polling a deployed stage: often at first, then less and less (a copy or a restore takes hours). */
export interface Backoff {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const defaultBackoff: Backoff = { initialMs: 1_000, maxMs: 15_000, factor: 1.5 };

/** Ctrl-C (or SIGTERM) while following: the command stops watching; nothing in AWS is cancelled. */
export class FollowStopped extends Error {
  override name = "FollowStopped";
}

class FollowTimedOut extends Error {
  override name = "FollowTimedOut";
}

export interface FollowOptions {
  /** Aborted on Ctrl-C: the wait ends with FollowStopped. */
  signal?: AbortSignal;
  /** Give up after this long; the message says where the operation stood. */
  timeoutMs: number;
  backoff?: Backoff;
}

/** Waits `ms`, or ends early with FollowStopped when the signal aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new FollowStopped());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new FollowStopped());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A sleep for the polling loops: each call waits longer (up to maxMs), ends early with FollowStopped when
 * the signal aborts, and with FollowTimedOut once the deadline has passed.
 */
function backoffSleep(options: FollowOptions): () => Promise<void> {
  const backoff = options.backoff ?? defaultBackoff;
  const deadline = Date.now() + options.timeoutMs;
  let next = backoff.initialMs;
  return async () => {
    if (Date.now() >= deadline) throw new FollowTimedOut();
    const ms = Math.min(next, deadline - Date.now());
    next = Math.min(backoff.maxMs, next * backoff.factor);
    await pause(ms, options.signal);
  };
}

/**
 * Polls the operation until it ends, reporting each stage's start and end on `progress` (the local
 * runtime's waitForOperation, with back-off). Throws FollowStopped on Ctrl-C, a UsageError (exit 1) when
 * the time is up.
 */
export async function followOperation(
  store: Pick<OperationStore, "get">,
  operationId: string,
  progress: StageProgress,
  options: FollowOptions & {
    /** Whether the operation read is already the one to follow (a retry: written after the request). */
    current?(operation: OperationInfo): boolean;
  },
  lookAgain: string,
): Promise<OperationInfo> {
  let last: OperationInfo | undefined;
  const observed: Pick<OperationStore, "get"> = {
    get: async (id) => {
      const read = await store.get(id);
      if (read && options.current && !options.current(read)) return undefined;
      last = read ?? last;
      return last;
    },
  };
  try {
    return await waitForOperation(observed, operationId, {
      timeoutMs: Number.POSITIVE_INFINITY,
      sleep: backoffSleep(options),
      onProgress: (event) => progress.stage(event),
    });
  } catch (error) {
    if (!(error instanceof FollowTimedOut)) throw error;
    const where = last ? `it is still at step ${last.step}` : "it does not exist yet";
    throw new UsageError(
      `stopped following ${operationId} after ${Math.round(options.timeoutMs / 60_000)} min: ${where}; it goes on in AWS. ${lookAgain}`,
      1,
    );
  }
}

/**
 * Polls the operation's audit trail until `answer` finds the pipeline's answer to event `eventId` (the
 * trigger's start or refusal, say). Throws FollowStopped on Ctrl-C, a UsageError (exit 1) when no answer
 * came in time.
 */
export async function waitForAnswer<T>(
  audit: Pick<AuditLog, "listByOperation">,
  operationId: string,
  answer: (trail: AuditEntryInfo[]) => T | undefined,
  options: FollowOptions,
  noAnswer: string,
): Promise<T> {
  const sleep = backoffSleep(options);
  for (;;) {
    const found = answer(await audit.listByOperation(operationId));
    if (found !== undefined) return found;
    try {
      await sleep();
    } catch (error) {
      if (error instanceof FollowTimedOut) throw new UsageError(noAnswer, 1);
      throw error;
    }
  }
}

/**
 * Ctrl-C, SIGTERM or SIGHUP while a command follows a deployed stage: `signal` aborts, the command ends by
 * itself (nothing in AWS is cancelled) and exits with the signal's code.
 */
export function stopFollowingOnSignal() {
  const controller = new AbortController();
  let received: StopSignal | undefined;
  const remove = onStopSignal(
    (signal) => {
      received = signal;
      controller.abort();
      return "handled";
    },
    { quiet: true },
  );
  return { signal: controller.signal, exitCode: () => signalExitCode(received ?? "SIGINT"), remove };
}
