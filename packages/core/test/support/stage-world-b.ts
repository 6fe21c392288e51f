import { randomUUID } from "node:crypto";
import type { AnyDomainEventContract, DomainEventInput } from "../../src/events/contract";
import { targetKeyOf } from "../../src/operation/ids";
import type { OperationStep } from "../../src/operation/steps";
import { type Plan, type PlanInput, planSchema } from "../../src/plan/schema";
import type { StageDeps } from "../../src/stages/kit/deps";
import { createAuditLog } from "../../src/storage/audit";
import { createOperationStore, type OperationInfo } from "../../src/storage/operations";
import { createTables, type DynamoBackend } from "./dynamo";
import { FakeDatabase } from "./fake-database-b";
import {
  type CallLog,
  endpointOf,
  FakePublisher,
  FakeRds,
  FakeSecrets,
  FakeSns,
  RecordingLogger,
} from "./fakes-b";

/** One isolated world per test: fresh tables on the shared dynalite, fakes for every port, a stepping clock. */

export const source = { accountId: "111111111111", region: "us-east-1" };
export const targetLocation = { accountId: "222222222222", region: "eu-west-1" };
export const target = { ...targetLocation, clusterIdentifier: "staging" };
export const nextHost = endpointOf("staging-next", targetLocation.region);
export const targetHost = endpointOf("staging", targetLocation.region);

export function planInput(): PlanInput {
  return {
    id: "staging-refresh",
    source: {
      ...source,
      clusterIdentifier: "production",
      roleArn: "arn:aws:iam::111111111111:role/aurora-restore-source",
      shareableKmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/share-key",
    },
    targets: [
      {
        ...target,
        kmsKeyId: "arn:aws:kms:eu-west-1:222222222222:key/target-key",
        database: "app",
        masterSecretName: "aurora-restore/staging/master",
        applicationUsers: [
          {
            username: "app_reader",
            secretName: "aurora-restore/staging/app_reader",
            grants: [{ privileges: ["SELECT"], schema: "public" }],
          },
          {
            username: "app_writer",
            secretName: "aurora-restore/staging/app_writer",
            grants: [
              { privileges: ["SELECT", "INSERT"], schema: "sales", tables: ["orders", "order_lines"] },
            ],
          },
        ],
        postRestoreSql: [
          { name: "mask-emails", sql: "UPDATE customers SET email = 'user' || id || '@example.invalid'" },
          { name: "drop-sessions", sql: "TRUNCATE sessions" },
        ],
        checks: [
          { type: "table-exists", name: "customers present", table: "public.customers" },
          { type: "row-count", name: "orders rows", table: "sales.orders", min: 1, max: 1000 },
          {
            type: "sql",
            name: "emails masked",
            sql: "SELECT bool_and(email LIKE '%@example.invalid') FROM customers",
          },
        ],
      },
    ],
    notificationTopicArn: "arn:aws:sns:eu-west-1:222222222222:aurora-restore",
  };
}

export async function createWorld(backend: DynamoBackend, plan: Plan = planSchema.parse(planInput())) {
  const { client, stateTable, auditTable } = await createTables(backend);
  const calls: CallLog = [];
  const rds = new FakeRds(calls);
  const secrets = new FakeSecrets(calls);
  const database = new FakeDatabase();
  const sns = new FakeSns();
  const publisher = new FakePublisher();
  const logger = new RecordingLogger();
  const passwords: string[] = [];
  const store = createOperationStore(client, stateTable);
  const audit = createAuditLog(client, auditTable);
  let time = Date.parse("2026-11-28T03:00:00.000Z");
  rds.onPasswordChange = (cluster, password) => {
    calls.push("database.passwordChangeRequested");
    database.changePassword(cluster.endpoint!, cluster.masterUsername, password);
  };
  const deps: StageDeps = {
    store,
    audit,
    publisher,
    plans: {
      list: async () => [plan],
      get: async (id) => {
        if (id !== plan.id) throw new Error(`unknown plan ${id}`);
        return plan;
      },
    },
    rds: (scope) => rds.port(scope),
    kms: () => {
      throw new Error("kms is not used by these stages");
    },
    secrets: (scope) => secrets.port(scope),
    notifications: sns,
    database,
    busName: "aurora-restore",
    actor: "test",
    clock: () => {
      time += 1000;
      return new Date(time);
    },
    generatePassword: () => {
      const password = `Pw${passwords.length}-${randomUUID()}`;
      passwords.push(password);
      return password;
    },
    logger,
    metrics: { count: () => {}, durationMs: () => {} },
  };

  /** An operation already at `step` (created, locked, moved there in one forward transition). */
  async function seedOperation(
    step: OperationStep,
    outputs: OperationInfo["outputs"] = {},
    claims: OperationInfo["claims"] = {},
  ) {
    const operationId = `op-${randomUUID().replace(/-/g, "").slice(0, 20)}`;
    const at = new Date(time).toISOString();
    await store.create(
      {
        operationId,
        planId: plan.id,
        targetKey: targetKeyOf(target),
        target,
        sourceSnapshot: {
          identifier: "rds:production-2026-11-28-03-00",
          arn: "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rds:production-2026-11-28-03-00",
          ...source,
          type: "automated",
        },
        trigger: "snapshot-event",
        requestedBy: "rds-event",
        correlationId: `corr-${operationId}`,
        deadline: "2026-11-28T09:00:00.000Z",
      },
      at,
    );
    await store.acquireLock(targetKeyOf(target), operationId, at);
    if (step !== "requested") {
      await store.transition(operationId, {
        from: { step: "requested", version: 1 },
        to: step,
        at,
        outputs,
        claims,
      });
    }
    return (await store.get(operationId))!;
  }

  /** A pipeline event as the handler receives it (EventBridge envelope, parsed by its contract). */
  function deliver<C extends AnyDomainEventContract>(
    contract: C,
    detail: DomainEventInput<C>,
    id: string = randomUUID(),
  ) {
    const entry = contract.entry(detail, { busName: deps.busName });
    const parsed = contract.parseEnvelope({
      version: "0",
      id,
      "detail-type": entry.DetailType,
      source: entry.Source,
      account: targetLocation.accountId,
      time: "2026-11-28T03:00:00Z",
      region: targetLocation.region,
      resources: [],
      detail: JSON.parse(entry.Detail),
    });
    return { ...parsed, detailType: contract.detailType as C["detailType"] };
  }

  function meta(operation: OperationInfo) {
    return {
      operationId: operation.operationId,
      correlationId: operation.correlationId,
      causationId: "cause-1",
      occurredAt: new Date(time).toISOString(),
    };
  }

  /**
   * The target's secrets as an earlier refresh left them (AWSCURRENT only, pointing at the live target, which
   * its applications use): secret name -> value.
   */
  function seedTargetSecrets(): Map<string, Record<string, unknown>> {
    const planned = plan.targets[0]!;
    const seeded = new Map<string, Record<string, unknown>>();
    for (const [name, username] of [
      [planned.masterSecretName, "postgres"],
      ...planned.applicationUsers.map((u) => [u.secretName, u.username] as const),
    ] as const) {
      const value = {
        username,
        password: `old-password-of-${username}`,
        host: targetHost,
        port: 5432,
        dbname: planned.database,
        engine: "postgres",
      };
      secrets.seed(targetLocation, name, value);
      seeded.set(name, value);
    }
    return seeded;
  }

  /** Everything a secret must never appear in: audit entries, published events, log lines, notifications. */
  async function observable(operationId: string): Promise<string> {
    const entries = await audit.listByOperation(operationId);
    return JSON.stringify([entries, publisher.entries, logger.lines, sns.published]);
  }

  return {
    plan,
    deps,
    store,
    audit,
    rds,
    secrets,
    database,
    sns,
    publisher,
    logger,
    calls,
    passwords,
    seedOperation,
    seedTargetSecrets,
    deliver,
    meta,
    observable,
  };
}

export type World = Awaited<ReturnType<typeof createWorld>>;
