import { randomUUID } from "node:crypto";
import type { AnyDomainEventContract, DomainEventInput } from "../../src/events/contract";
import { ClusterAvailable } from "../../src/events/domain";
import { RDS_SOURCE, type RdsEvent, rdsDetailTypes, rdsEventIds, rdsEventSchema } from "../../src/events/rds";
import { targetKeyOf } from "../../src/operation/ids";
import type { OperationStep } from "../../src/operation/steps";
import { type Plan, type PlanInput, planSchema } from "../../src/plan/schema";
import type { ClusterSnapshot } from "../../src/ports/rds";
import type { StageDeps } from "../../src/stages/kit/deps";
import { createAuditLog } from "../../src/storage/audit";
import { createOperationStore, type OperationInfo } from "../../src/storage/operations";
import { CallLog } from "./call-log";
import { createTables, type DynamoBackend } from "./dynamo";
import { endpointOf } from "./fake-arns";
import { FakeDatabase, type RecordedQuery } from "./fake-database";
import { FakeSns, RecordingPublisher } from "./fake-events";
import { defaultKeyArn, FakeKms } from "./fake-kms";
import { FakeRds } from "./fake-rds";
import { FakeSecrets } from "./fake-secrets";
import { CapturingLogger, CapturingMetrics, FakeClock } from "./observers";

/**
 * The one test world for every stage: fresh tables on the file's dynalite, a fake for every port, a clock
 * that moves when told. A cross-account, cross-region refresh: production in 111111111111/us-east-1 is
 * restored as staging in 222222222222/eu-west-1 (as the local demo does it).
 */

export const sourceLocation = { accountId: "111111111111", region: "us-east-1" };
export const targetLocation = { accountId: "222222222222", region: "eu-west-1" };
export const target = { ...targetLocation, clusterIdentifier: "staging" };
export const targetKey = targetKeyOf(target);
export const nextHost = endpointOf("staging-next", targetLocation.region);
export const targetHost = endpointOf("staging", targetLocation.region);
export const keys = {
  sourceDefault: defaultKeyArn(sourceLocation),
  shareable: "arn:aws:kms:us-east-1:111111111111:key/share-key",
  sourceCustomer: "arn:aws:kms:us-east-1:111111111111:key/prod-key",
  target: "arn:aws:kms:eu-west-1:222222222222:key/target-key",
};
export const sourceRoleArn = "arn:aws:iam::111111111111:role/aurora-restore-source";

/** The plan every stage test starts from: everything a refresh can be asked to do, once. */
export function planInput(
  overrides: { target?: Record<string, unknown>; plan?: Record<string, unknown> } = {},
): PlanInput {
  return {
    id: "staging-refresh",
    source: {
      ...sourceLocation,
      clusterIdentifier: "production",
      roleArn: sourceRoleArn,
      shareableKmsKeyId: keys.shareable,
    },
    targets: [
      {
        ...target,
        kmsKeyId: keys.target,
        network: { dbSubnetGroupName: "staging-subnets", vpcSecurityGroupIds: ["sg-0abc123"] },
        dbClusterParameterGroupName: "staging-params",
        instances: { instanceClass: "db.r6g.large", count: 2 },
        deadlineMinutes: 120,
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
        ...overrides.target,
      },
    ],
    notificationTopicArn: "arn:aws:sns:eu-west-1:222222222222:aurora-restore",
    ...overrides.plan,
  } as PlanInput;
}

/** What a healthy restored database answers to the plan's checks: the table exists, 42 orders, e-mails masked. */
export function healthyAnswers(query: RecordedQuery) {
  if (query.text.includes("to_regclass")) return { rows: [{ present: true }] };
  if (query.text.startsWith("SELECT count(*)")) return { rows: [{ count: "42" }] };
  if (query.text.includes("bool_and")) return { rows: [{ bool_and: true }] };
  return undefined;
}

export function makePlan(overrides: Parameters<typeof planInput>[0] = {}): Plan {
  return planSchema.parse(planInput(overrides));
}

export async function createWorld(backend: DynamoBackend, plans: Plan[] = [makePlan()]) {
  const { client, stateTable, auditTable } = await createTables(backend);
  const plan = plans[0]!;
  const clock = new FakeClock();
  const calls = new CallLog();
  const kms = new FakeKms(calls);
  const rds = new FakeRds(calls, kms, () => clock.peek());
  const secrets = new FakeSecrets(calls);
  const database = new FakeDatabase();
  const sns = new FakeSns();
  const publisher = new RecordingPublisher(targetLocation);
  const logger = new CapturingLogger();
  const metrics = new CapturingMetrics();
  const passwords: string[] = [];
  const store = createOperationStore(client, stateTable);
  const audit = createAuditLog(client, auditTable);
  for (const arn of [keys.shareable, keys.sourceCustomer, keys.target]) kms.addKey(arn);
  kms.addKey(keys.sourceDefault, "AWS");
  rds.onPasswordChange = (cluster, password) => {
    database.changePassword(cluster.endpoint!, cluster.masterUsername, password);
  };
  const deps: StageDeps = {
    store,
    audit,
    publisher,
    plans: {
      list: async () => plans,
      get: async (id) => {
        const found = plans.find((p) => p.id === id);
        if (!found) throw new Error(`unknown plan ${id}`);
        return found;
      },
    },
    rds: (scope) => rds.port(scope),
    kms: (scope) => kms.port(scope),
    secrets: (scope) => secrets.port(scope),
    notifications: sns,
    database,
    busName: "aurora-restore",
    actor: "test",
    clock: clock.now,
    generatePassword: () => {
      const password = `Pw${passwords.length}-${randomUUID()}`;
      passwords.push(password);
      return password;
    },
    logger,
    metrics,
  };

  /** An automated snapshot of the source cluster under the default key, taken `clock` now. */
  function automatedSnapshot(
    stamp = "2026-03-14-03-00",
    fields: Partial<ClusterSnapshot> = {},
  ): ClusterSnapshot {
    return rds.addSnapshot(sourceLocation, `rds:production-${stamp}`, {
      kmsKeyId: keys.sourceDefault,
      ...fields,
    });
  }

  /** An operation already at `step` (created, locked, moved there in one forward transition). */
  async function seedOperation(
    step: OperationStep,
    outputs: OperationInfo["outputs"] = {},
    claims: OperationInfo["claims"] = {},
  ) {
    const operationId = `op-${randomUUID().replace(/-/g, "").slice(0, 20)}`;
    const at = clock.peek().toISOString();
    const snapshot = "rds:production-2026-03-14-03-00";
    await store.create(
      {
        operationId,
        planId: plan.id,
        targetKey,
        target,
        sourceSnapshot: {
          identifier: snapshot,
          arn: `arn:aws:rds:us-east-1:111111111111:cluster-snapshot:${snapshot}`,
          ...sourceLocation,
          type: "automated",
        },
        trigger: "snapshot-event",
        requestedBy: "rds-event",
        correlationId: `corr-${operationId}`,
        deadline: new Date(clock.peek().getTime() + 6 * 3_600_000).toISOString(),
      },
      at,
    );
    await store.acquireLock(targetKey, operationId, at);
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

  /**
   * restore's work done: the next cluster available, its database as the snapshot left it (the master user
   * only), and an operation at cluster-available. Returns the ClusterAvailable event configure receives.
   */
  async function nextClusterAvailable() {
    rds.addCluster(targetLocation, "staging-next", ["staging-next-1"]);
    database.addServer(nextHost, "postgres", "password-from-the-snapshot");
    const operation = await seedOperation("cluster-available");
    const event = deliver(ClusterAvailable, {
      ...meta(operation),
      cluster: { ...targetLocation, clusterIdentifier: "staging-next" },
      endpoint: { host: nextHost, port: 5432 },
    });
    return { operation, event };
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
      time: clock
        .peek()
        .toISOString()
        .replace(/\.\d{3}Z$/, "Z"),
      region: targetLocation.region,
      resources: [],
      detail: JSON.parse(entry.Detail),
    });
    return { ...parsed, detailType: contract.detailType as C["detailType"] };
  }

  /** The event metadata of a stage's next event for `operation`. */
  function meta(operation: OperationInfo) {
    return {
      operationId: operation.operationId,
      correlationId: operation.correlationId,
      causationId: "cause-1",
      occurredAt: clock.peek().toISOString(),
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

  async function auditOf(operationId: string) {
    const entries = await audit.listByOperation(operationId);
    return entries.map((e) => `${e.stage}:${e.action}:${e.outcome}`);
  }

  /** Everything a secret must never appear in: audit entries, published events, log lines, notifications. */
  async function observable(operationId: string): Promise<string> {
    const entries = await audit.listByOperation(operationId);
    return JSON.stringify([entries, publisher.entries, logger.lines, sns.published]);
  }

  return {
    plan,
    plans,
    deps,
    /** The state table and a client for it, for items no store writes any more (storage/watch-entity.ts). */
    client,
    stateTable,
    store,
    audit,
    clock,
    calls,
    rds,
    kms,
    secrets,
    database,
    sns,
    publisher,
    logger,
    metrics,
    passwords,
    automatedSnapshot,
    seedOperation,
    nextClusterAvailable,
    seedTargetSecrets,
    deliver,
    meta,
    auditOf,
    observable,
  };
}

export type World = Awaited<ReturnType<typeof createWorld>>;

/** The EventBridge event RDS sends when a cluster snapshot was created (0169 automated, 0075 manual). */
export function snapshotCreatedEvent(snapshot: ClusterSnapshot, id = `rds-${snapshot.identifier}`): RdsEvent {
  const automated = snapshot.type === "automated";
  return rdsEventSchema.parse({
    version: "0",
    id,
    "detail-type": rdsDetailTypes.clusterSnapshot,
    source: RDS_SOURCE,
    account: snapshot.accountId,
    time: "2026-03-14T03:05:00Z",
    region: snapshot.region,
    resources: [snapshot.arn],
    detail: {
      EventCategories: ["backup"],
      SourceType: "CLUSTER_SNAPSHOT",
      SourceArn: snapshot.arn,
      SourceIdentifier: snapshot.identifier,
      Date: "2026-03-14T03:05:00.000Z",
      Message: automated ? "Automated snapshot created" : "Manual cluster snapshot created",
      EventID: automated ? rdsEventIds.automatedSnapshotCreated : rdsEventIds.manualSnapshotCreated,
    },
  });
}
