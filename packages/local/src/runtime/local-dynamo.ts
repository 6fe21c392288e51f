import type { AddressInfo } from "node:net";
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
 * `<stateDir>/dynamodb` (LevelDB), with the state and audit tables created when missing.
 */
export async function startLocalDynamo(options: { stateDir: string }): Promise<LocalDynamo> {
  const path = await ensurePrivateDir(options.stateDir, "dynamodb");
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
  } catch (error) {
    throw new Error(
      `Could not start the local DynamoDB (dynalite) on ${path}: ${(error as Error).message}. ` +
        "Another aurora-restore process may be using this state folder; stop it or pick another with --state-dir.",
      { cause: error },
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
      `The local DynamoDB in ${path} did not open: ${(error as Error).message}. ` +
        "If the folder was written by another dynalite version, move it away to start afresh.",
      { cause: error },
    );
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
      await stopServer();
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
