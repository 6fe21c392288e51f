import { setTimeout as sleep } from "node:timers/promises";

export type DurationKind = "create" | "copy" | "rename" | "passwordChange" | "delete" | "snapshot";
export type Durations = Record<DurationKind, number>;

/** Simulated durations (ms): short, yet long enough that callers must poll for the status to change. */
export const defaultDurations: Durations = {
  create: 200,
  copy: 150,
  rename: 100,
  passwordChange: 300,
  delete: 100,
  snapshot: 100,
};

/** Raised inside a transition when the service stops; the transition is resumed by the next start(). */
export class StoppedError extends Error {
  override name = "StoppedError";
}

export interface TransitionOptions {
  durations?: Partial<Durations>;
  /** Waits `ms` for a transition of `kind`; injectable so tests decide when a transition proceeds. */
  delay?: (ms: number, kind: DurationKind) => Promise<void>;
  onError: (what: string, error: unknown) => void;
}

/**
 * Status transitions that complete in the background after a simulated delay (and the real work), as AWS's
 * do. Tracks them so `idle()` can wait for all of them and `shutdown()` can interrupt their waits.
 */
export class Transitions {
  readonly durations: Durations;
  readonly #delay: (ms: number, kind: DurationKind) => Promise<void>;
  readonly #delayInjected: boolean;
  readonly #onError: TransitionOptions["onError"];
  readonly #pending = new Set<Promise<void>>();
  #abort = new AbortController();

  constructor(options: TransitionOptions) {
    this.durations = { ...defaultDurations, ...options.durations };
    this.#delay = options.delay ?? ((ms) => sleep(ms));
    this.#delayInjected = options.delay !== undefined;
    this.#onError = options.onError;
  }

  /** Runs `task` in the background; a failure calls `onFailure` (e.g. to mark the resource failed). */
  run(what: string, task: () => Promise<void>, onFailure?: (error: unknown) => Promise<void>): void {
    const promise = (async () => {
      try {
        await task();
      } catch (error) {
        if (error instanceof StoppedError) return;
        this.#onError(what, error);
        if (onFailure) await onFailure(error).catch((nested: unknown) => this.#onError(what, nested));
      }
    })();
    this.#pending.add(promise);
    void promise.finally(() => this.#pending.delete(promise));
  }

  /** The simulated part of a transition (`fraction` of its duration); rejects with StoppedError on shutdown. */
  async wait(kind: DurationKind, fraction = 1): Promise<void> {
    const signal = this.#abort.signal;
    if (signal.aborted) throw new StoppedError(`stopped before ${kind}`);
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new StoppedError(`stopped during ${kind}`));
      signal.addEventListener("abort", onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    try {
      await Promise.race([this.#delay(Math.round(this.durations[kind] * fraction), kind), aborted]);
    } finally {
      // A long-lived runtime waits thousands of times on one signal: never leave a listener behind.
      signal.removeEventListener("abort", onAbort);
    }
    if (signal.aborted) throw new StoppedError(`stopped during ${kind}`);
  }

  /** Whether a transition of `kind` takes no time at all: its duration is 0 and no test decides the wait. */
  immediate(kind: DurationKind): boolean {
    return this.durations[kind] === 0 && !this.#delayInjected;
  }

  get stopping(): boolean {
    return this.#abort.signal.aborted;
  }

  /** Resolves once no transition is pending (including ones started while waiting). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Interrupts every simulated wait and lets the transitions settle. */
  async shutdown(): Promise<void> {
    this.#abort.abort();
    await this.idle();
  }

  /** Accepts transitions again after a shutdown. */
  reopen(): void {
    if (this.#abort.signal.aborted) this.#abort = new AbortController();
  }
}
