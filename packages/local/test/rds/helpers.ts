import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isAwsCallError } from "@aurora-restore/core/ports/index";
import pg from "pg";
import { expect } from "vitest";
import type { RdsEventEntry } from "../../src/rds/events";
import type { DurationKind } from "../../src/rds/transitions";

export const production = { accountId: "111111111111", region: "us-east-1" };
export const staging = { accountId: "222222222222", region: "eu-west-1" };
export const stagingInProductionRegion = { accountId: "222222222222", region: "us-east-1" };
export const outsider = { accountId: "333333333333", region: "us-east-1" };

export async function tempStateDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "local-rds-test-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Replaces the simulated durations: an open kind proceeds at once, a closed one waits until the test
 * releases it. Tests decide when a transition advances instead of relying on time.
 */
export class Gates {
  readonly #closed = new Set<DurationKind>();
  readonly #waiting = new Map<DurationKind, (() => void)[]>();

  readonly delay = (_ms: number, kind: DurationKind): Promise<void> => {
    if (!this.#closed.has(kind)) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiting.set(kind, [...(this.#waiting.get(kind) ?? []), resolve]);
    });
  };

  close(kind: DurationKind): void {
    this.#closed.add(kind);
  }

  /** Opens the gate and releases everything waiting at it. */
  open(kind: DurationKind): void {
    this.#closed.delete(kind);
    for (const release of this.#waiting.get(kind) ?? []) release();
    this.#waiting.delete(kind);
  }

  /** Releases the first waiter only; the gate stays closed. */
  step(kind: DurationKind): void {
    const [first, ...rest] = this.#waiting.get(kind) ?? [];
    if (!first) throw new Error(`nothing is waiting at the ${kind} gate`);
    this.#waiting.set(kind, rest);
    first();
  }

  /** Resolves once `count` transitions are held at the gate (their real work before it is done). */
  async reached(kind: DurationKind, count = 1): Promise<void> {
    for (let i = 0; (this.#waiting.get(kind)?.length ?? 0) < count; i++) {
      if (i > 6000) throw new Error(`no transition reached the ${kind} gate`);
      await sleep(10);
    }
  }
}

export class EventLog {
  readonly events: RdsEventEntry[] = [];
  readonly emit = async (event: RdsEventEntry): Promise<void> => {
    this.events.push(event);
  };

  ids(): string[] {
    return this.events.map((e) => String(e.detail.EventID));
  }

  find(eventId: string, sourceIdentifier: string): RdsEventEntry | undefined {
    return this.events.find(
      (e) => e.detail.EventID === eventId && e.detail.SourceIdentifier === sourceIdentifier,
    );
  }
}

/** Asserts that `promise` rejects with an RDS (or other AWS) error of this code; returns its message. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeDefined();
  if (!isAwsCallError(error)) throw error;
  expect(error.code).toBe(code);
  return error.message;
}

export interface Endpoint {
  endpoint?: string;
  port?: number;
}

/** A TLS connection verified against `ca`, as the pipeline makes one. */
export async function connect(
  cluster: Endpoint,
  options: { password: string; ca: string; user?: string; database?: string },
): Promise<pg.Client> {
  const client = new pg.Client({
    host: cluster.endpoint,
    port: cluster.port,
    user: options.user ?? "master",
    password: options.password,
    database: options.database ?? "postgres",
    ssl: { ca: options.ca, rejectUnauthorized: true },
  });
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/** Runs one query on a fresh verified connection. */
export async function query<T extends pg.QueryResultRow>(
  cluster: Endpoint,
  options: { password: string; ca: string; database?: string },
  sql: string,
): Promise<T[]> {
  const client = await connect(cluster, options);
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The SQLSTATE (or message) a login attempt fails with, or "ok". */
export async function loginResult(
  cluster: Endpoint,
  options: { password: string; ca: string },
): Promise<string> {
  try {
    const client = await connect(cluster, options);
    await client.end();
    return "ok";
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).message;
  }
}
