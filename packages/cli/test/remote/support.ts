import { createAuditLog } from "@aurora-restore/core/storage/audit";
import { createDocumentClient } from "@aurora-restore/core/storage/client";
import { operationEntity } from "@aurora-restore/core/storage/operation-entity";
import type { OperationInfo } from "@aurora-restore/core/storage/operations";
import { deploymentNames } from "@aurora-restore/functions/shared/deploy/names";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
} from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { runCli } from "../../src/cli";
import type { CliIo } from "../../src/io";

/** The deployed stage every remote test addresses. */
export const stage = "test";
export const region = "eu-west-1";
export const onStage = ["--stage", stage, "--region", region];
export const names = deploymentNames(stage);

export async function run(argv: string[], extra: Partial<CliIo> = {}) {
  let out = "";
  let err = "";
  const io: CliIo = {
    stdout: { write: (c: string) => (out += c) },
    stderr: { write: (c: string) => (err += c) },
    ...extra,
  };
  const code = await runCli(argv, io);
  return { code, stdout: out, stderr: err };
}

type Item = Record<string, unknown>;

/**
 * The stage's two tables behind a mocked DynamoDBDocumentClient: items are written through core's real
 * ElectroDB entities (their PutCommand is captured, so the items are exactly what ElectroDB stores), and
 * GetItem, Query and Scan answer from them the way DynamoDB would for ElectroDB's key conditions.
 */
export function fakeTables() {
  const mock = mockClient(DynamoDBDocumentClient);
  const tables = new Map<string, Item[]>();
  const rows = (table: string | undefined) => tables.get(table ?? "") ?? [];
  const install = () => {
    mock.on(PutCommand).callsFake((input: { TableName: string; Item: Item }) => {
      const kept = rows(input.TableName).filter(
        (row) => !(row.pk === input.Item.pk && row.sk === input.Item.sk),
      );
      tables.set(input.TableName, [...kept, structuredClone(input.Item)]);
      return {};
    });
    mock.on(GetCommand).callsFake((input: { TableName: string; Key: Item }) => {
      const item = rows(input.TableName).find((row) => row.pk === input.Key.pk && row.sk === input.Key.sk);
      return item ? { Item: structuredClone(item) } : {};
    });
    mock
      .on(QueryCommand)
      .callsFake(
        (input: {
          TableName: string;
          ExpressionAttributeNames: Record<string, string>;
          ExpressionAttributeValues: Record<string, string>;
        }) => {
          const names = input.ExpressionAttributeNames;
          const values = input.ExpressionAttributeValues;
          const items = rows(input.TableName).filter(
            (row) =>
              row[names["#pk"]!] === values[":pk"] &&
              (names["#sk1"] === undefined || String(row[names["#sk1"]!] ?? "").startsWith(values[":sk1"]!)),
          );
          return { Items: structuredClone(items) };
        },
      );
    // The one Scan the CLI makes: audit entries written at or after a time (listWrittenSince).
    mock
      .on(ScanCommand)
      .callsFake((input: { TableName: string; ExpressionAttributeValues: Record<string, string> }) => {
        const since = input.ExpressionAttributeValues[":at0"]!;
        const items = rows(input.TableName).filter((row) => String(row.at) >= since);
        return { Items: structuredClone(items) };
      });
  };
  install();
  const client = createDocumentClient({ region });
  return {
    mock,
    /** Forgets the calls and any behaviour a test added; the items stay unless `empty`. */
    reset(options: { empty?: boolean } = {}) {
      mock.reset();
      if (options.empty) tables.clear();
      install();
    },
    audit: createAuditLog(client, names.auditTable),
    /** Writes an operation item through the entity (a put: any status, step and times). */
    async putOperation(operation: OperationInfo) {
      await operationEntity(client, names.stateTable).put(operation).go();
    },
  };
}

export const target = { clusterIdentifier: "staging-db", accountId: "222222222222", region };

/** An operation as the state table holds it, running at copy unless `changes` say otherwise. */
export function operation(operationId: string, changes: Partial<OperationInfo> = {}): OperationInfo {
  return {
    operationId,
    planId: "orders-staging",
    targetKey: `${target.accountId}/${region}/${target.clusterIdentifier}`,
    target,
    sourceSnapshot: {
      identifier: "rds:orders-2025-03-14-02-10",
      arn: "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rds:orders-2025-03-14-02-10",
      accountId: "111111111111",
      region: "us-east-1",
      type: "automated",
    },
    trigger: "manual",
    requestedBy: "cli:arn:aws:sts::222222222222:assumed-role/Operator/jane",
    correlationId: "0b8f6c1e-1d2a-4c3b-9e8f-7a6b5c4d3e2f",
    step: "copying",
    status: "running",
    stageTimes: {
      trigger: { startedAt: "2025-03-14T10:00:00.000Z", endedAt: "2025-03-14T10:00:00.000Z" },
      prepare: { startedAt: "2025-03-14T10:00:01.000Z", endedAt: "2025-03-14T10:02:01.000Z" },
      copy: { startedAt: "2025-03-14T10:02:01.000Z" },
    },
    outputs: {},
    claims: {},
    attempts: { prepare: 1, copy: 1 },
    deadline: "2025-03-15T10:00:00.000Z",
    version: 3,
    createdAt: "2025-03-14T10:00:00.000Z",
    updatedAt: "2025-03-14T10:02:01.000Z",
    ...changes,
  } as OperationInfo;
}

/** The operation once it succeeded: every stage ended. */
export function succeeded(operationId: string, changes: Partial<OperationInfo> = {}): OperationInfo {
  const t = (m: number) => `2025-03-14T1${m}:00:00.000Z`;
  return operation(operationId, {
    step: "completed",
    status: "succeeded",
    stageTimes: {
      trigger: { startedAt: t(0), endedAt: t(0) },
      prepare: { startedAt: t(0), endedAt: t(1) },
      copy: { startedAt: t(1), endedAt: t(2) },
      restore: { startedAt: t(2), endedAt: t(3) },
      configure: { startedAt: t(3), endedAt: t(4) },
      verify: { startedAt: t(4), endedAt: t(5) },
      cutover: { startedAt: t(5), endedAt: t(6) },
    },
    version: 9,
    ...changes,
  });
}

export function sdkError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}
