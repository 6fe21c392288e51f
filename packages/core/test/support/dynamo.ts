import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import dynalite from "dynalite";
import { createDocumentClient, tableDefinitions } from "../../src/storage/index";

/** A DynamoDB API endpoint for tests: dynalite in-process, or DynamoDB Local where Java is present. */
export interface DynamoBackend {
  name: string;
  endpoint: string;
  stop(): Promise<void>;
}

const credentials = { accessKeyId: "local", secretAccessKey: "local" };

export async function startDynalite(): Promise<DynamoBackend> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name: "dynalite",
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The DynamoDB Local jar shipped in amplify-dynamodb-simulator, when it and Java are both present. */
export function dynamoDbLocalJar(): string | undefined {
  if (spawnSync("java", ["-version"], { stdio: "ignore" }).status !== 0) return undefined;
  try {
    const require = createRequire(import.meta.url);
    const jar = join(
      dirname(require.resolve("amplify-dynamodb-simulator/package.json")),
      "emulator",
      "DynamoDBLocal.jar",
    );
    return existsSync(jar) ? jar : undefined;
  } catch {
    return undefined;
  }
}

export async function startDynamoDbLocal(jar: string): Promise<DynamoBackend> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    "java",
    [
      `-Djava.library.path=${join(dirname(jar), "DynamoDBLocal_lib")}`,
      "-jar",
      jar,
      "-inMemory",
      "-port",
      String(port),
    ],
    { stdio: "ignore", cwd: tmpdir() }, // it writes a metadata file into its working directory
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials });
  const started = Date.now();
  for (;;) {
    try {
      await client.send(new (await import("@aws-sdk/client-dynamodb")).ListTablesCommand({}));
      break;
    } catch (error) {
      if (Date.now() - started > 30_000) {
        child.kill();
        throw new Error(`DynamoDB Local did not start on ${endpoint}: ${(error as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  client.destroy();
  return {
    name: "dynamodb-local",
    endpoint,
    stop: async () => {
      child.kill();
    },
  };
}

/** Creates a fresh state and audit table pair on the backend and returns a document client for them. */
export async function createTables(
  backend: DynamoBackend,
  /** `stateIndexes`: only the state table's first indexes, as an older version made it. */
  options: { stateIndexes?: number } = {},
): Promise<{ client: DynamoDBDocumentClient; stateTable: string; auditTable: string }> {
  const suffix = randomUUID().slice(0, 8);
  const stateTable = `state-${suffix}`;
  const auditTable = `audit-${suffix}`;
  const raw = new DynamoDBClient({ endpoint: backend.endpoint, region: "us-east-1", credentials });
  const state = tableDefinitions.state(stateTable);
  const kept = state.GlobalSecondaryIndexes?.slice(0, options.stateIndexes);
  const keys = new Set([
    "pk",
    "sk",
    ...(kept ?? []).flatMap((i) => i.KeySchema?.map((k) => k.AttributeName)),
  ]);
  await raw.send(
    new CreateTableCommand({
      ...state,
      GlobalSecondaryIndexes: kept,
      AttributeDefinitions: state.AttributeDefinitions?.filter((a) => keys.has(a.AttributeName)),
    }),
  );
  await raw.send(new CreateTableCommand(tableDefinitions.audit(auditTable)));
  raw.destroy();
  const client = createDocumentClient({ endpoint: backend.endpoint, region: "us-east-1", credentials });
  return { client, stateTable, auditTable };
}
