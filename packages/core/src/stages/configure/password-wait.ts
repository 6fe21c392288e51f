import type { DatabasePort, DbEndpoint, DbSession } from "../../ports/database";
import { errorCodeOf } from "../kit/errors";

/** How long and how often to retry a login while RDS applies a new master password (injectable for tests). */
export interface LoginBackoff {
  initialDelayMs: number;
  maxDelayMs: number;
  /**
   * How long to keep trying before giving up: time slept, plus the time the attempts themselves took when
   * `now` is given (a connection attempt can take up to its connect timeout), so the whole wait is at most
   * timeoutMs and one attempt.
   */
  timeoutMs: number;
  sleep(ms: number): Promise<void>;
  /** A clock in ms; without it only the time slept counts. */
  now?: () => number;
  /** Called before each attempt (configure checks it still owns its step, and renews its lease). */
  beforeAttempt?: () => Promise<void>;
}

/**
 * A new master password usually takes effect within seconds, so the first retries come quickly (0.1, 0.2,
 * 0.4 s...) and the gap doubles up to 5 s; the whole wait stays well inside the function's timeout
 * (kit/lease.ts), with room for the rest of configure.
 */
export const defaultLoginBackoff: LoginBackoff = {
  initialDelayMs: 100,
  maxDelayMs: 5_000,
  timeoutMs: 3 * 60_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
};

/**
 * "Not yet" answers while ModifyDBCluster's password change is applied: the old password still works and
 * the new one fails with 28P01 (invalid_password); the instance may also refuse or drop connections briefly.
 */
const notYetCodes: ReadonlySet<string> = new Set(["28P01", "57P03", "08006", "ECONNREFUSED", "ECONNRESET"]);

export class MasterPasswordNotAppliedError extends Error {
  override name = "MasterPasswordNotAppliedError";
  readonly code = "MasterPasswordNotApplied";
}

/**
 * Connects with the new credentials, retrying with a bounded exponential backoff while the server still
 * answers "not yet". Any other error (certificate, unknown database, unreachable host) is thrown at once.
 */
export async function connectOnceAccepted(
  database: DatabasePort,
  endpoint: DbEndpoint,
  backoff: LoginBackoff,
): Promise<{ session: DbSession; attempts: number; waitedMs: number }> {
  let delay = backoff.initialDelayMs;
  let waitedMs = 0;
  let attempts = 0;
  const started = backoff.now?.();
  for (;;) {
    attempts += 1;
    await backoff.beforeAttempt?.();
    try {
      return { session: await database.connect(endpoint), attempts, waitedMs };
    } catch (error) {
      const code = errorCodeOf(error);
      if (!notYetCodes.has(code)) throw error;
      // With a clock, the attempts' own time counts too: slow refusals cannot stretch the wait.
      if (backoff.now && started !== undefined) waitedMs = Math.max(waitedMs, backoff.now() - started);
      if (waitedMs >= backoff.timeoutMs) {
        throw new MasterPasswordNotAppliedError(
          `The new master password for ${endpoint.user}@${endpoint.host} was still refused (${code}) after ` +
            `${attempts} attempts over ${Math.round(waitedMs / 1000)} s. Check the cluster's status ` +
            `(resetting-master-credentials) and RDS-EVENT-0067 ("unable to reset password"), then restore again; ` +
            `the password is stored in the master secret (the version named by the store-master-secret audit entry).`,
        );
      }
      const wait = Math.min(delay, backoff.maxDelayMs, backoff.timeoutMs - waitedMs);
      await backoff.sleep(wait);
      waitedMs += wait;
      delay = Math.min(delay * 2, backoff.maxDelayMs);
    }
  }
}
