import { describe, expect, test } from "vitest";
import type { DatabasePort, DbSession } from "../../src/ports/database";
import {
  connectOnceAccepted,
  defaultLoginBackoff,
  MasterPasswordNotAppliedError,
} from "../../src/stages/configure/password-wait";

const endpoint = {
  host: "staging-next.example",
  port: 5432,
  database: "app",
  user: "postgres",
  password: "p",
};

/** A database that refuses the new password (28P01) `refusals` times, then accepts it. */
function refusing(refusals: number): DatabasePort & { attempts: number } {
  return {
    attempts: 0,
    async connect() {
      this.attempts += 1;
      if (this.attempts <= refusals) {
        throw Object.assign(new Error("password authentication failed"), { code: "28P01" });
      }
      return {} as DbSession;
    },
  };
}

/** The default back-off on a clock that only sleeping moves. */
function onFakeTime() {
  let ms = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    backoff: {
      ...defaultLoginBackoff,
      sleep: async (wait: number) => {
        sleeps.push(wait);
        ms += wait;
      },
      now: () => ms,
    },
  };
}

describe("waiting for a new master password", () => {
  test("the first login is tried at once; retries start short and double up to 5 s, with no fixed wait", async () => {
    const { sleeps, backoff } = onFakeTime();
    const database = refusing(8);
    const login = await connectOnceAccepted(database, endpoint, backoff);
    expect(login.attempts).toBe(9);
    expect(sleeps).toEqual([100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
    expect(login.waitedMs).toBe(16_300);
  });

  test("accepted at once: no wait at all", async () => {
    const { sleeps, backoff } = onFakeTime();
    const login = await connectOnceAccepted(refusing(0), endpoint, backoff);
    expect(login).toMatchObject({ attempts: 1, waitedMs: 0 });
    expect(sleeps).toEqual([]);
  });

  test("a password never accepted ends the wait within its bound, with an error that says what to check", async () => {
    const { sleeps, backoff } = onFakeTime();
    const error = await connectOnceAccepted(refusing(Number.POSITIVE_INFINITY), endpoint, backoff).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MasterPasswordNotAppliedError);
    expect((error as Error).message).toMatch(
      /still refused \(28P01\).*resetting-master-credentials.*RDS-EVENT-0067/,
    );
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(defaultLoginBackoff.timeoutMs);
  });
});
