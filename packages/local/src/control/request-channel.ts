import { randomUUID } from "node:crypto";
import { readdir, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ensurePrivateDir, readJsonFile, writeJsonFileAtomic } from "../state-dir";
import { currentLockHolder, type StateLockHolder } from "../state-lock";

/**
 * How a command hands work to a running `aurora-restore local up` on the same state folder. One process owns
 * a state folder (state-lock.ts); `local up` marks its lock `servesRequests`, and a command that finds it
 * writes a request file into `<stateDir>/control/requests/` and waits for the answer in
 * `control/responses/`. We chose files over a socket or an HTTP port on 127.0.0.1: the state folder is
 * already private to its user (0700), so there is no token to guard and nothing listens on the network;
 * the lock already says who serves; and what a dead process leaves is a file the next `local up` clears.
 */
export function controlDir(stateDir: string): string {
  return join(stateDir, "control");
}
const requestsDir = (stateDir: string) => join(controlDir(stateDir), "requests");
const responsesDir = (stateDir: string) => join(controlDir(stateDir), "responses");

export interface ChannelRequest {
  id: string;
  createdAt: string;
  body: unknown;
}

/** An error as it crosses processes: its class name, its AWS-style code if any, its message. */
export interface ChannelError {
  name: string;
  code?: string;
  message: string;
}

export type ChannelResponse =
  | { id: string; ok: true; result: unknown }
  | { id: string; ok: false; error: ChannelError };

/** The error the serving process answered with, re-thrown in the requesting one. */
export class ServedRequestError extends Error {
  override name = "ServedRequestError";
  constructor(readonly error: ChannelError) {
    super(error.message);
  }
}

function asChannelError(error: unknown): ChannelError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, ...(typeof code === "string" ? { code } : {}), message: error.message };
}

export interface RequestServer {
  /** Stops taking requests; those being handled still get their answer if they finish. */
  stop(): void;
}

/**
 * Answers the requests written into the channel, each with `handle(body)`, several at a time (a snapshot that
 * waits for the next minute does not hold up a deletion). A request is taken (its file removed) before it is
 * handled, so it is acted on once. Requests written before `since` (when this server began starting) were
 * meant for a previous one and are dropped unanswered, as are its answers nobody read: their senders have
 * already given up, since they wait only as long as the process they wrote to holds the folder.
 */
export async function serveRequests(
  stateDir: string,
  handle: (body: unknown) => Promise<unknown>,
  options: { since: Date; pollMs?: number; onError?(error: unknown): void },
): Promise<RequestServer> {
  await rm(responsesDir(stateDir), { recursive: true, force: true });
  await ensurePrivateDir(stateDir, "control", "requests");
  await ensurePrivateDir(stateDir, "control", "responses");
  const taken = new Set<string>();
  let stopped = false;
  const answer = async (name: string) => {
    const file = join(requestsDir(stateDir), name);
    const request = await readJsonFile<ChannelRequest>(file).catch(() => undefined);
    await unlink(file).catch(() => undefined);
    // The file's name, not its content, names the answer: a name from readdir cannot point elsewhere.
    const id = name.replace(/\.json$/, "");
    if (request && Date.parse(request.createdAt) < options.since.getTime()) return;
    let response: ChannelResponse;
    try {
      if (!request) throw new Error("Unreadable request");
      response = { id, ok: true, result: await handle(request.body) };
    } catch (error) {
      response = { id, ok: false, error: asChannelError(error) };
    }
    await writeJsonFileAtomic(join(responsesDir(stateDir), `${id}.json`), response);
  };
  const poll = async () => {
    const names = await readdir(requestsDir(stateDir)).catch(() => [] as string[]);
    // Complete files only: writeJsonFileAtomic's temporary files end in .tmp.
    for (const name of names.filter((n) => n.endsWith(".json") && !taken.has(n))) {
      taken.add(name);
      void answer(name)
        .catch((error: unknown) => options.onError?.(error))
        .finally(() => taken.delete(name));
    }
  };
  const tick = async () => {
    while (!stopped) {
      await poll().catch((error: unknown) => options.onError?.(error));
      await sleep(options.pollMs ?? 100);
    }
  };
  void tick();
  return {
    stop() {
      stopped = true;
    },
  };
}

/**
 * Sends `body` to the `local up` that holds the state folder (`holder`, from its lock) and waits for its
 * answer: the result, or its error as ServedRequestError. Fails if that process ends first or after
 * `timeoutMs`; the request is then withdrawn if it was not taken yet.
 */
export async function sendRequest(
  stateDir: string,
  holder: StateLockHolder,
  body: unknown,
  options: { timeoutMs: number; pollMs?: number },
): Promise<unknown> {
  const id = randomUUID();
  const requestFile = join(requestsDir(stateDir), `${id}.json`);
  const responseFile = join(responsesDir(stateDir), `${id}.json`);
  const request: ChannelRequest = { id, createdAt: new Date().toISOString(), body };
  await writeJsonFileAtomic(requestFile, request);
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const response = await readJsonFile<ChannelResponse>(responseFile).catch(() => undefined);
    if (response) {
      await unlink(responseFile).catch(() => undefined);
      if (response.ok) return response.result;
      throw new ServedRequestError(response.error);
    }
    const current = await currentLockHolder(stateDir);
    if (current?.token !== holder.token) {
      await unlink(requestFile).catch(() => undefined);
      throw new Error(
        `${holder.command} (process ${holder.pid}) stopped before answering; run the command again`,
      );
    }
    if (Date.now() > deadline) {
      await unlink(requestFile).catch(() => undefined);
      throw new Error(
        `${holder.command} (process ${holder.pid}) did not answer within ${Math.round(options.timeoutMs / 1000)} s; see its terminal and <state>/logs/pipeline.log`,
      );
    }
    await sleep(options.pollMs ?? 100);
  }
}
