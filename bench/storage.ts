import type { AddressInfo } from "node:net";
import {
  createAuditLog,
  createDocumentClient,
  createOperationStore,
  tableDefinitions,
} from "@aurora-restore/core";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import { measure, report } from "./measure";

/** Conditional stage transitions and audit appends on dynalite, the embedded default's DynamoDB. */
export async function benchStorage(): Promise<void> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = { endpoint, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "x" } };
  const raw = new DynamoDBClient(config);
  await raw.send(new CreateTableCommand(tableDefinitions.state("state")));
  await raw.send(new CreateTableCommand(tableDefinitions.audit("audit")));
  const client = createDocumentClient(config);
  const store = createOperationStore(client, "state");
  const audit = createAuditLog(client, "audit");
  const at = new Date().toISOString();
  const target = { accountId: "222222222222", region: "eu-west-1", clusterIdentifier: "staging" };
  const snapshot = {
    identifier: "s",
    arn: "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:s",
    accountId: "111111111111",
    region: "us-east-1",
    type: "automated" as const,
  };
  const create = await measure("create operation (conditional put)", 300, (i) =>
    store.create(
      {
        operationId: `op-${i}-${Math.random()}`,
        planId: "p",
        targetKey: `t-${i}`,
        target,
        sourceSnapshot: snapshot,
        trigger: "manual",
        requestedBy: "bench",
        correlationId: "c",
        deadline: at,
      },
      at,
    ),
  );
  await store.create(
    {
      operationId: "op-moving",
      planId: "p",
      targetKey: "t",
      target,
      sourceSnapshot: snapshot,
      trigger: "manual",
      requestedBy: "bench",
      correlationId: "c",
      deadline: at,
    },
    at,
  );
  const steps = ["requested", "preparing-snapshot"] as const;
  // Transitions only go forward, so time the refused duplicate: what every replayed event costs.
  await store.transition("op-moving", { from: { step: steps[0], version: 1 }, to: steps[1], at });
  const stale = await measure("refused duplicate transition (stale version)", 300, () =>
    store
      .transition("op-moving", { from: { step: steps[0], version: 1 }, to: steps[1], at })
      .catch(() => undefined),
  );
  const append = await measure("audit append (create with not-exists condition)", 300, () =>
    audit.append(
      {
        operationId: "op-moving",
        targetKey: "t",
        stage: "copy",
        action: "bench",
        actor: "bench",
        outcome: "succeeded",
      },
      { at, compliance: "default" },
    ),
  );
  report("State and audit tables (ElectroDB on dynalite)", [create, stale, append], create);
  raw.destroy();
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
