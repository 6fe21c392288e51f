/**
 * Time and randomness for the bus, injectable so tests never depend on the wall clock: retries, backoff,
 * event age, chaos delays and shuffles all go through this.
 */
import { randomUUID } from "node:crypto";

export interface EventBridgeRuntime {
  now(): Date;
  /** Resolves after `ms`, or as soon as `signal` aborts (the bus stopping); never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Uniform in [0, 1), like Math.random. */
  random(): number;
  uuid(): string;
}

export function systemRuntime(): EventBridgeRuntime {
  return {
    now: () => new Date(),
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        // The timer is cleared on abort: a cancelled 5-minute backoff must not keep the process alive.
        const wake = () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(0, ms));
        signal?.addEventListener("abort", wake, { once: true });
      }),
    random: Math.random,
    uuid: randomUUID,
  };
}

/** Small, fast, seedable PRNG (mulberry32): the same seed gives the same shuffles and jitter. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface VirtualRuntime extends EventBridgeRuntime {
  /** Moves the virtual clock forward (e.g. to age archived events or pass a replay window). */
  advance(ms: number): void;
  /** Every sleep requested so far, in milliseconds, in request order (backoff can be asserted on it). */
  readonly sleeps: readonly number[];
}

/**
 * A virtual clock: `sleep(ms)` returns on the next turn of the event loop and moves the clock to the
 * sleeper's due time (never backwards), so retries over 24 hours run in microseconds and event ages are
 * exact. Concurrent sleepers wake in call order, not due order; tests must not rely on wake order.
 */
export function createVirtualRuntime(options: { start?: Date | string; seed?: number } = {}): VirtualRuntime {
  let nowMs = new Date(options.start ?? "2025-01-01T00:00:00Z").getTime();
  const random = seededRandom(options.seed ?? 1);
  const sleeps: number[] = [];
  let uuidCounter = 0;
  return {
    now: () => new Date(nowMs),
    sleeps,
    advance(ms) {
      nowMs += ms;
    },
    async sleep(ms) {
      const due = nowMs + Math.max(0, ms);
      sleeps.push(ms);
      await new Promise<void>((resolve) => setImmediate(resolve));
      nowMs = Math.max(nowMs, due);
    },
    random,
    uuid() {
      // Deterministic but UUID v4-shaped, so ids stay valid for code that checks the format.
      const hex = (++uuidCounter).toString(16).padStart(12, "0");
      return `00000000-0000-4000-8000-${hex}`;
    },
  };
}
