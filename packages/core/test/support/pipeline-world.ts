import { RDS_SOURCE, type RdsEvent, rdsDetailTypes, rdsEventIds, rdsEventSchema } from "../../src/events/rds";
import { type Plan, type PlanInput, planSchema } from "../../src/plan/schema";
import type { ClusterSnapshot } from "../../src/ports/rds";
import type { StageDeps } from "../../src/stages/kit/deps";
import { createAuditLog } from "../../src/storage/audit";
import { createOperationStore } from "../../src/storage/operations";
import { createTables, type DynamoBackend } from "./dynamo";
import {
  CapturingLogger,
  CapturingMetrics,
  defaultKeyArn,
  FakeClock,
  FakeCloud,
  RecordingPublisher,
} from "./fakes";

/** A cross-account, cross-region world for trigger/prepare/copy/restore/watcher tests, on fresh tables. */

export const sourceLocation = { accountId: "111111111111", region: "eu-west-1" };
export const targetLocation = { accountId: "222222222222", region: "us-east-1" };
export const keys = {
  sourceDefault: defaultKeyArn(sourceLocation),
  shareable: "arn:aws:kms:eu-west-1:111111111111:key/share-key",
  sourceCustomer: "arn:aws:kms:eu-west-1:111111111111:key/prod-key",
  target: "arn:aws:kms:us-east-1:222222222222:key/target-key",
};
export const sourceRoleArn = "arn:aws:iam::111111111111:role/aurora-restore-source";

export function planInput(
  overrides: { target?: Record<string, unknown>; plan?: Record<string, unknown> } = {},
): PlanInput {
  return {
    id: "staging-refresh",
    source: {
      ...sourceLocation,
      clusterIdentifier: "prod-db",
      roleArn: sourceRoleArn,
      shareableKmsKeyId: keys.shareable,
    },
    targets: [
      {
        ...targetLocation,
        clusterIdentifier: "staging-db",
        kmsKeyId: keys.target,
        network: { dbSubnetGroupName: "staging-subnets", vpcSecurityGroupIds: ["sg-0abc123"] },
        dbClusterParameterGroupName: "staging-params",
        instances: { instanceClass: "db.r6g.large", count: 2 },
        masterSecretName: "aurora-restore/staging/master",
        deadlineMinutes: 120,
        ...overrides.target,
      },
    ],
    notificationTopicArn: "arn:aws:sns:us-east-1:222222222222:aurora-restore",
    ...overrides.plan,
  } as PlanInput;
}

export function makePlan(overrides: Parameters<typeof planInput>[0] = {}): Plan {
  return planSchema.parse(planInput(overrides));
}

export async function createPipelineWorld(backend: DynamoBackend, plans: Plan[] = [makePlan()]) {
  const { client, stateTable, auditTable } = await createTables(backend);
  const clock = new FakeClock();
  const cloud = new FakeCloud(() => clock.peek());
  cloud.addKey(keys.sourceDefault, "AWS");
  cloud.addKey(keys.shareable);
  cloud.addKey(keys.sourceCustomer);
  cloud.addKey(keys.target);
  const publisher = new RecordingPublisher();
  const logger = new CapturingLogger();
  const metrics = new CapturingMetrics();
  const store = createOperationStore(client, stateTable);
  const audit = createAuditLog(client, auditTable);
  const deps: StageDeps = {
    store,
    audit,
    publisher,
    plans: {
      list: async () => plans,
      get: async (id) => {
        const plan = plans.find((p) => p.id === id);
        if (!plan) throw new Error(`unknown plan ${id}`);
        return plan;
      },
    },
    rds: (scope) => cloud.rds(scope),
    kms: (scope) => cloud.kms(scope),
    secrets: () => {
      throw new Error("secrets are not used by these stages");
    },
    notifications: {
      publish: async () => {
        throw new Error("notifications are not used by these stages");
      },
    },
    database: {
      connect: async () => {
        throw new Error("the database is not used by these stages");
      },
    },
    busName: "aurora-restore",
    actor: "test",
    clock: clock.now,
    generatePassword: () => "not-used-by-these-stages-0123456789",
    logger,
    metrics,
  };

  /** An automated snapshot of the source cluster under the default key, taken `clock` now. */
  function automatedSnapshot(
    stamp = "2026-03-14-03-00",
    fields: Partial<ClusterSnapshot> = {},
  ): ClusterSnapshot {
    return cloud.addSnapshot(sourceLocation, `rds:prod-db-${stamp}`, {
      clusterIdentifier: "prod-db",
      kmsKeyId: keys.sourceDefault,
      ...fields,
    });
  }

  async function auditOf(operationId: string) {
    const entries = await audit.listByOperation(operationId);
    return entries.map((e) => `${e.stage}:${e.action}:${e.outcome}`);
  }

  return { deps, cloud, clock, publisher, logger, metrics, store, audit, plans, automatedSnapshot, auditOf };
}

export type PipelineWorld = Awaited<ReturnType<typeof createPipelineWorld>>;

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
