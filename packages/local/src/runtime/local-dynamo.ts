import { stat } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createDocumentClient, type TableNames, tableDefinitions } from "@aurora-restore/core/storage/index";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import dynalite from "dynalite";
import { ensurePrivateDir } from "../state-dir";
import { acquireStateLock, StateFolderBusyError } from "../state-lock";

/** Fixed names: the same tables are found again on the next run, so the audit trail survives. */
export const localTableNames: TableNames = { state: "aurora-restore-state", audit: "aurora-restore-audit" };

const credentials = { accessKeyId: "local", secretAccessKey: "local" };
/** dynalite ignores the region, but the SDK needs one. */
const clientRegion = "eu-west-1";

export interface LocalDynamo {
  endpoint: string;
  tables: TableNames;
  client: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

/**
 * DynamoDB on this machine: dynalite in-process on a free loopback port, persisted under
 * `<stateDir>/dynamodb` (LevelDB), with the state and audit tables created when missing. The process holds
 * the state folder's lock while it runs (see state-lock.ts): a second runtime on the folder is refused with
 * StateFolderBusyError naming the holder, instead of dying on LevelDB's own lock; the endpoint is recorded in
 * the lock so that read-only commands can use the tables alongside (openLocalDynamoForReading).
 */
export async function startLocalDynamo(options: {
  stateDir: string;
  /** Marks the lock: this runtime serves other processes' requests (`local up`). */
  servesRequests?: boolean;
}): Promise<LocalDynamo> {
  const path = await ensurePrivateDir(options.stateDir, "dynamodb");
  const lock = await acquireStateLock(options.stateDir, {
    role: "runtime",
    ...(options.servesRequests ? { servesRequests: true } : {}),
  });
  try {
    const dynamo = await serveDynamo(path, lock.release);
    await lock.publishEndpoint(dynamo.endpoint);
    return dynamo;
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/**
 * The tables for a command that only reads them, without creating anything in the state folder (which must
 * exist): through the endpoint of the runtime that holds the folder, if one does; otherwise from the folder
 * itself (in memory, empty, when it has no tables yet), holding the lock as a `reader` meanwhile. Another
 * reader is waited for (readers are brief); a runtime that is starting up too.
 */
export async function openLocalDynamoForReading(options: {
  stateDir: string;
  timeoutMs?: number;
}): Promise<LocalDynamo> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    try {
      const lock = await acquireStateLock(options.stateDir, {
        role: "reader",
        waitForReadersMs: Math.max(0, deadline - Date.now()),
      });
      try {
        const path = join(options.stateDir, "dynamodb");
        const exists = await stat(path).then(
          (s) => s.isDirectory(),
          () => false,
        );
        return await serveDynamo(exists ? path : undefined, lock.release);
      } catch (error) {
        await lock.release();
        throw error;
      }
    } catch (error) {
      if (!(error instanceof StateFolderBusyError) || error.holder.role !== "runtime") throw error;
      const endpoint = error.holder.endpoint;
      if (endpoint) {
        const connected = await connectDynamo(endpoint).catch(() => undefined);
        if (connected) return connected;
      }
      // Starting up (no endpoint yet) or stopping (its endpoint refused): look again shortly.
      if (Date.now() >= deadline) throw error;
      await sleep(200);
    }
  }
}

async function serveDynamo(path: string | undefined, release: () => Promise<void>): Promise<LocalDynamo> {
  const server = dynalite({
    ...(path ? { path } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
  } catch (error) {
    throw new Error(
      `Could not start the local DynamoDB (dynalite) on ${path ?? "memory"}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const stopServer = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const raw = new DynamoDBClient({ endpoint, region: clientRegion, credentials });
  try {
    await ensureTable(raw, tableDefinitions.state(localTableNames.state));
    await ensureTable(raw, tableDefinitions.audit(localTableNames.audit));
  } catch (error) {
    raw.destroy();
    await stopServer();
    throw new Error(
      `The local DynamoDB in ${path ?? "memory"} did not open: ${(error as Error).message}. ` +
        "If the folder was written by another dynalite version, move it away to start afresh.",
      { cause: error },
    );
  } finally {
    raw.destroy();
  }
  const client = createDocumentClient({ endpoint, region: clientRegion, credentials });
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    tables: localTableNames,
    client,
    stop() {
      stopped ??= (async () => {
        client.destroy();
        await stopServer();
        await release();
      })();
      return stopped;
    },
  };
}

/** The tables another process serves (its tables exist: it created them). */
async function connectDynamo(endpoint: string): Promise<LocalDynamo> {
  const raw = new DynamoDBClient({ endpoint, region: clientRegion, credentials, maxAttempts: 1 });
  try {
    await raw.send(new DescribeTableCommand({ TableName: localTableNames.state }));
  } finally {
    raw.destroy();
  }
  const client = createDocumentClient({ endpoint, region: clientRegion, credentials });
  return {
    endpoint,
    tables: localTableNames,
    client,
    async stop() {
      client.destroy();
    },
  };
}

async function ensureTable(
  client: DynamoDBClient,
  definition: ReturnType<typeof tableDefinitions.state>,
): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await client.send(new CreateTableCommand(definition));
  }
}
