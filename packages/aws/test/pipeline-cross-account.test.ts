import type { AccessScope, PutEventsEntry, StageDeps } from "@aurora-restore/core";
import {
  ClusterAvailable,
  ClusterCreated,
  CopyCompleted,
  RDS_SOURCE,
  RestoreRequested,
  rdsDetailTypes,
  rdsEventIds,
  SnapshotAvailable,
  SourceSnapshotCopied,
  targetKeyOf,
} from "@aurora-restore/core";
import { createAuditLog, createOperationStore } from "@aurora-restore/core/storage/index";
import { handle as copy } from "@aurora-restore/functions/copy/handler";
import { handle as prepare } from "@aurora-restore/functions/prepare/handler";
import { handle as restore } from "@aurora-restore/functions/restore/handler";
import { staticPlanSource } from "@aurora-restore/functions/runtime/plans";
import { handle as trigger } from "@aurora-restore/functions/trigger/handler";
import { handle as watcher } from "@aurora-restore/functions/watcher/handler";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { DescribeKeyCommand, KMSClient, ListAliasesCommand } from "@aws-sdk/client-kms";
import {
  CopyDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  type DBCluster,
  type DBClusterSnapshot,
  type DBInstance,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
} from "@aws-sdk/client-rds";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { planSchema } from "../../core/src/plan/schema";
import { createTables, type DynamoBackend, startDynalite } from "../../core/test/support/dynamo";
import type { AwsClients } from "../src/clients";
import { createAwsEventPublisher, createAwsKms, createAwsRds } from "../src/index";

/**
 * A cross-account (111… -> 222…), cross-region (eu-west-1 -> us-east-1) refresh driven through the real stage
 * handlers and the AWS adapters, with the SDK mocked: checks where each call is made and with what parameters.
 */

const source = { accountId: "111111111111", region: "eu-west-1" };
const target = { accountId: "222222222222", region: "us-east-1" };
const roleArn = "arn:aws:iam::111111111111:role/aurora-restore-source";
const defaultKey = "arn:aws:kms:eu-west-1:111111111111:key/aws-rds-default";
const shareKey = "arn:aws:kms:eu-west-1:111111111111:key/share-key";
const targetKey = "arn:aws:kms:us-east-1:222222222222:key/target-key";

const planFor = (copyMode: "single-hop" | "two-hop") =>
  planSchema.parse({
    id: "staging-refresh",
    source: { ...source, clusterIdentifier: "prod-db", roleArn, shareableKmsKeyId: shareKey },
    targets: [
      {
        ...target,
        clusterIdentifier: "staging-db",
        kmsKeyId: targetKey,
        copyMode,
        network: { dbSubnetGroupName: "staging-subnets", vpcSecurityGroupIds: ["sg-0abc123"] },
        dbClusterParameterGroupName: "staging-params",
        instances: { instanceClass: "db.r6g.large", count: 2 },
        masterSecretName: "aurora-restore/staging/master",
      },
    ],
    notificationTopicArn: "arn:aws:sns:us-east-1:222222222222:aurora-restore",
  });

const rdsMock = mockClient(RDSClient);
const kmsMock = mockClient(KMSClient);
const eventsMock = mockClient(EventBridgeClient);

/** RDS as the mocks answer it: resources per account and region, statuses moved on by settle(). */
class SimulatedRds {
  snapshots = new Map<string, DBClusterSnapshot & { shared: string[]; account: string; region: string }>();
  clusters = new Map<string, DBCluster>();
  instances = new Map<string, DBInstance>();
  private key = (scope: AccessScope, id: string) => `${scope.accountId}/${scope.region}/${id}`;

  addSnapshot(scope: AccessScope, id: string, fields: Partial<DBClusterSnapshot>) {
    const arn = `arn:aws:rds:${scope.region}:${scope.accountId}:cluster-snapshot:${id}`;
    this.snapshots.set(this.key(scope, id), {
      DBClusterSnapshotIdentifier: id,
      DBClusterSnapshotArn: arn,
      DBClusterIdentifier: "prod-db",
      Status: "available",
      SnapshotType: "manual",
      StorageEncrypted: true,
      Engine: "aurora-postgresql",
      SnapshotCreateTime: new Date("2026-03-14T03:00:00Z"),
      shared: [],
      account: scope.accountId,
      region: scope.region,
      ...fields,
    });
    return arn;
  }

  findSnapshot(scope: AccessScope, ref: string) {
    const [, , , region, account, , ...id] = ref.split(":");
    const key = ref.startsWith("arn:") ? `${account}/${region}/${id.join(":")}` : this.key(scope, ref);
    const snapshot = this.snapshots.get(key);
    if (!snapshot || (snapshot.account !== scope.accountId && !snapshot.shared.includes(scope.accountId))) {
      throw Object.assign(new Error(`${ref} not found`), { name: "DBClusterSnapshotNotFoundFault" });
    }
    return snapshot;
  }

  settle() {
    for (const s of this.snapshots.values()) s.Status = "available";
    for (const c of this.clusters.values()) c.Status = "available";
    for (const i of this.instances.values()) i.DBInstanceStatus = "available";
  }
}

let backend: DynamoBackend;
beforeAll(async () => {
  backend = await startDynalite();
});
afterAll(async () => {
  await backend.stop();
  rdsMock.restore();
  kmsMock.restore();
  eventsMock.restore();
});

function setUp(sim: SimulatedRds, published: PutEventsEntry[]) {
  // One client per scope, remembered so each mocked call knows the account, region and role it was made for.
  const scopes = new WeakMap<object, AccessScope>();
  const cache = new Map<string, unknown>();
  const credentials = { accessKeyId: "test", secretAccessKey: "test" };
  const client = <C extends object>(service: string, scope: AccessScope, build: () => C): C => {
    const key = `${service}|${scope.accountId}|${scope.region}|${scope.roleArn ?? ""}`;
    if (!cache.has(key)) {
      const built = build();
      scopes.set(built, scope);
      cache.set(key, built);
    }
    return cache.get(key) as C;
  };
  const clients: AwsClients = {
    rds: (scope) => client("rds", scope, () => new RDSClient({ region: scope.region, credentials })),
    kms: (scope) => client("kms", scope, () => new KMSClient({ region: scope.region, credentials })),
    eventBridge: (scope) =>
      client("events", scope, () => new EventBridgeClient({ region: scope.region, credentials })),
    secretsManager: (scope) =>
      client("sm", scope, () => new SecretsManagerClient({ region: scope.region, credentials })),
    sns: (scope) => client("sns", scope, () => new SNSClient({ region: scope.region, credentials })),
  };
  const scopeOf = (getClient: () => object) => scopes.get(getClient())!;

  rdsMock.reset();
  kmsMock.reset();
  eventsMock.reset();
  rdsMock.on(DescribeDBClusterSnapshotsCommand).callsFake((input, getClient) => {
    const snapshot = sim.findSnapshot(scopeOf(getClient), input.DBClusterSnapshotIdentifier);
    return { DBClusterSnapshots: [{ ...snapshot }] };
  });
  rdsMock.on(CopyDBClusterSnapshotCommand).callsFake((input, getClient) => {
    const scope = scopeOf(getClient);
    const from = sim.findSnapshot(scope, input.SourceDBClusterSnapshotIdentifier);
    const arn = sim.addSnapshot(scope, input.TargetDBClusterSnapshotIdentifier, {
      Status: "copying",
      KmsKeyId: input.KmsKeyId ?? from.KmsKeyId,
      SnapshotCreateTime: new Date("2026-03-14T04:10:00Z"),
    });
    return { DBClusterSnapshot: { ...sim.findSnapshot(scope, arn) } };
  });
  rdsMock.on(ModifyDBClusterSnapshotAttributeCommand).callsFake((input, getClient) => {
    sim.findSnapshot(scopeOf(getClient), input.DBClusterSnapshotIdentifier).shared.push(...input.ValuesToAdd);
    return {};
  });
  rdsMock.on(RestoreDBClusterFromSnapshotCommand).callsFake((input, getClient) => {
    const scope = scopeOf(getClient);
    const cluster: DBCluster = {
      DBClusterIdentifier: input.DBClusterIdentifier,
      DBClusterArn: `arn:aws:rds:${scope.region}:${scope.accountId}:cluster:${input.DBClusterIdentifier}`,
      Status: "creating",
      Engine: input.Engine,
      Endpoint: `${input.DBClusterIdentifier}.cluster-xyz.${scope.region}.rds.amazonaws.com`,
      Port: 5432,
      MasterUsername: "postgres",
      KmsKeyId: input.KmsKeyId,
      DBClusterMembers: [],
      ClusterCreateTime: new Date("2026-03-14T05:00:00Z"),
    };
    sim.clusters.set(input.DBClusterIdentifier, cluster);
    return { DBCluster: cluster };
  });
  rdsMock.on(DescribeDBClustersCommand).callsFake((input) => {
    const cluster = sim.clusters.get(input.DBClusterIdentifier);
    if (!cluster) throw Object.assign(new Error("not found"), { name: "DBClusterNotFoundFault" });
    return { DBClusters: [{ ...cluster }] };
  });
  rdsMock.on(CreateDBInstanceCommand).callsFake((input, getClient) => {
    const scope = scopeOf(getClient);
    const instance: DBInstance = {
      DBInstanceIdentifier: input.DBInstanceIdentifier,
      DBInstanceArn: `arn:aws:rds:${scope.region}:${scope.accountId}:db:${input.DBInstanceIdentifier}`,
      DBClusterIdentifier: input.DBClusterIdentifier,
      DBInstanceClass: input.DBInstanceClass,
      DBInstanceStatus: "creating",
    };
    sim.instances.set(input.DBInstanceIdentifier, instance);
    return { DBInstance: instance };
  });
  rdsMock.on(DescribeDBInstancesCommand).callsFake((input) => ({
    DBInstances: [{ ...sim.instances.get(input.DBInstanceIdentifier) }],
  }));
  kmsMock.on(DescribeKeyCommand).callsFake((input) => ({
    KeyMetadata: {
      KeyId: input.KeyId.split("/").pop(),
      Arn: input.KeyId,
      KeyManager: input.KeyId === defaultKey ? "AWS" : "CUSTOMER",
      Enabled: true,
    },
  }));
  kmsMock.on(ListAliasesCommand).resolves({ Aliases: [] });
  eventsMock.on(PutEventsCommand).callsFake((input) => {
    published.push(...input.Entries);
    return {
      FailedEntryCount: 0,
      Entries: input.Entries.map((_: unknown, i: number) => ({ EventId: `e-${i}` })),
    };
  });

  return { clients, scopeOf };
}

async function drive(copyMode: "single-hop" | "two-hop") {
  const sim = new SimulatedRds();
  const published: PutEventsEntry[] = [];
  const { clients, scopeOf } = setUp(sim, published);
  const snapshotArn = sim.addSnapshot(source, "rds:prod-db-2026-03-14-03-00", {
    SnapshotType: "automated",
    KmsKeyId: defaultKey,
  });
  const { client, stateTable, auditTable } = await createTables(backend);
  let now = Date.parse("2026-03-14T04:00:00Z");
  const deps: StageDeps = {
    store: createOperationStore(client, stateTable),
    audit: createAuditLog(client, auditTable),
    publisher: createAwsEventPublisher(target, { clients, eventBusName: "aurora-restore" }),
    plans: staticPlanSource([planFor(copyMode)]),
    rds: (scope) => createAwsRds(scope, { clients }),
    kms: (scope) => createAwsKms(scope, { clients }),
    secrets: () => {
      throw new Error("not used before configure");
    },
    notifications: { publish: async () => ({ messageId: "unused" }) },
    database: { connect: async () => Promise.reject(new Error("not used before configure")) },
    busName: "aurora-restore",
    actor: "test",
    clock: () => {
      now += 1000;
      return new Date(now);
    },
    generatePassword: () => "unused-password-0123456789-abcdefgh",
    logger: { info: () => {}, warn: () => {}, error: () => {} },
    metrics: { count: () => {}, durationMs: () => {} },
  };

  let delivered = 0;
  const next = ({ detailType }: { detailType: string }) => {
    const index = published.findIndex((e, i) => i >= delivered && e.DetailType === detailType);
    expect(
      index,
      `${detailType} published (got ${published.map((e) => e.DetailType).join(", ")})`,
    ).toBeGreaterThanOrEqual(0);
    delivered = index + 1;
    const entry = published[index]!;
    return {
      version: "0",
      id: `evt-${index}`,
      "detail-type": entry.DetailType,
      source: entry.Source,
      account: target.accountId,
      time: "2026-03-14T04:00:00Z",
      region: target.region,
      resources: entry.Resources ?? [],
      detail: JSON.parse(entry.Detail),
    };
  };
  const tick = async () => {
    sim.settle();
    await watcher(
      {
        version: "0",
        id: `tick-${now}`,
        "detail-type": "Scheduled Event",
        source: "aws.events",
        account: target.accountId,
        time: "2026-03-14T04:00:00Z",
        region: target.region,
        resources: [],
        detail: {},
      },
      deps,
    );
  };

  await trigger(
    {
      version: "0",
      id: "rds-event-1",
      "detail-type": rdsDetailTypes.clusterSnapshot,
      source: RDS_SOURCE,
      account: source.accountId,
      time: "2026-03-14T03:05:00Z",
      region: source.region,
      resources: [snapshotArn],
      detail: {
        EventCategories: ["backup"],
        SourceType: "CLUSTER_SNAPSHOT",
        SourceArn: snapshotArn,
        SourceIdentifier: "rds:prod-db-2026-03-14-03-00",
        Date: "2026-03-14T03:05:00.000Z",
        Message: "Automated snapshot created",
        EventID: rdsEventIds.automatedSnapshotCreated,
      },
    },
    deps,
  );
  await prepare(next(RestoreRequested), deps);
  await tick();
  await prepare(next(SourceSnapshotCopied), deps);
  await copy(next(SnapshotAvailable), deps);
  await tick();
  if (copyMode === "two-hop") {
    await copy(next(SnapshotAvailable), deps);
    await tick();
  }
  await restore(next(CopyCompleted), deps);
  await tick();
  await restore(next(ClusterCreated), deps);
  await tick();
  const available = next(ClusterAvailable);

  const callsOf = <I>(command: Parameters<typeof rdsMock.commandCalls>[0]) =>
    rdsMock
      .commandCalls(command)
      .map((c) => ({ input: c.args[0].input as I, scope: scopeOf(() => c.thisValue as object) }));
  return { deps, available, callsOf };
}

describe("cross-account, cross-region pipeline through the AWS adapters", () => {
  test("single hop: each SDK call is made in the right account and region with the parameters AWS requires", async () => {
    const { deps, available, callsOf } = await drive("single-hop");
    expect(available.detail.endpoint).toEqual({
      host: "staging-db-next.cluster-xyz.us-east-1.rds.amazonaws.com",
      port: 5432,
    });

    // 1. The shareable copy: in the source account and region, through the source role, under the customer key.
    const copies = callsOf<Record<string, string>>(CopyDBClusterSnapshotCommand);
    expect(copies).toHaveLength(2);
    const [shareCopy, targetCopy] = copies;
    expect(shareCopy!.scope).toEqual({ ...source, roleArn });
    expect(shareCopy!.input).toEqual({
      SourceDBClusterSnapshotIdentifier: "rds:prod-db-2026-03-14-03-00",
      TargetDBClusterSnapshotIdentifier: expect.stringMatching(/^aurora-restore-[0-9a-f]{10}-share$/),
      KmsKeyId: shareKey,
      CopyTags: false,
      Tags: [{ Key: "aurora-restore:operation", Value: expect.stringMatching(/^op-/) }],
    });

    // 2. Shared with the target account, in the source account.
    const [share] = callsOf(ModifyDBClusterSnapshotAttributeCommand);
    expect(share!.scope).toEqual({ ...source, roleArn });
    expect(share!.input).toEqual({
      DBClusterSnapshotIdentifier: shareCopy!.input.TargetDBClusterSnapshotIdentifier,
      AttributeName: "restore",
      ValuesToAdd: [target.accountId],
    });

    // 3. The copy into the target: called in the DESTINATION region, source by ARN in the other region (the SDK
    //    presigns from the ARN's region: SourceRegion is not a member of the v3 command input), target key.
    expect(targetCopy!.scope).toEqual(target);
    expect(targetCopy!.input).toMatchObject({
      SourceDBClusterSnapshotIdentifier: `arn:aws:rds:eu-west-1:111111111111:cluster-snapshot:${shareCopy!.input.TargetDBClusterSnapshotIdentifier}`,
      TargetDBClusterSnapshotIdentifier: expect.stringMatching(/^aurora-restore-[0-9a-f]{10}-copy$/),
      KmsKeyId: targetKey,
      CopyTags: false,
    });

    // 4. Restore with the network, parameter group and key explicit, in the target.
    const [restoreCall] = callsOf(RestoreDBClusterFromSnapshotCommand);
    expect(restoreCall!.scope).toEqual(target);
    expect(restoreCall!.input).toEqual({
      DBClusterIdentifier: "staging-db-next",
      SnapshotIdentifier: targetCopy!.input.TargetDBClusterSnapshotIdentifier,
      Engine: "aurora-postgresql",
      KmsKeyId: targetKey,
      DBSubnetGroupName: "staging-subnets",
      VpcSecurityGroupIds: ["sg-0abc123"],
      DBClusterParameterGroupName: "staging-params",
      Tags: [{ Key: "aurora-restore:operation", Value: expect.stringMatching(/^op-/) }],
    });

    // 5. Instances after the cluster is available (restore creates none).
    expect(rdsMock.commandCalls(CreateDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({
        DBInstanceIdentifier: "staging-db-next-1",
        DBClusterIdentifier: "staging-db-next",
        DBInstanceClass: "db.r6g.large",
        Engine: "aurora-postgresql",
      }),
      expect.objectContaining({
        DBInstanceIdentifier: "staging-db-next-2",
        DBClusterIdentifier: "staging-db-next",
      }),
    ]);

    // Every event went to the pipeline's bus; the operation stands at cluster-available.
    expect(
      eventsMock
        .commandCalls(PutEventsCommand)
        .every((c) => c.args[0].input.Entries?.every((e) => e.EventBusName === "aurora-restore")),
    ).toBe(true);
    const operation = (
      await deps.store.listByTarget(targetKeyOf({ ...target, clusterIdentifier: "staging-db" }))
    )[0];
    expect(operation?.step).toBe("cluster-available");
  });

  test("two hops: into the target account in the source region first, then across regions under the target key", async () => {
    const { callsOf } = await drive("two-hop");
    const copies = callsOf<Record<string, string>>(CopyDBClusterSnapshotCommand);
    expect(copies.map((c) => c.scope)).toEqual([
      { ...source, roleArn },
      { ...target, region: source.region },
      target,
    ]);
    const [shareCopy, hop1, hop2] = copies;
    expect(hop1!.input).toMatchObject({
      SourceDBClusterSnapshotIdentifier: `arn:aws:rds:eu-west-1:111111111111:cluster-snapshot:${shareCopy!.input.TargetDBClusterSnapshotIdentifier}`,
      TargetDBClusterSnapshotIdentifier: expect.stringMatching(/-hop$/),
      KmsKeyId: "alias/aws/rds",
    });
    expect(hop2!.input).toMatchObject({
      SourceDBClusterSnapshotIdentifier: `arn:aws:rds:eu-west-1:222222222222:cluster-snapshot:${hop1!.input.TargetDBClusterSnapshotIdentifier}`,
      TargetDBClusterSnapshotIdentifier: expect.stringMatching(/-copy$/),
      KmsKeyId: targetKey,
    });
    expect(callsOf(RestoreDBClusterFromSnapshotCommand)[0]!.input).toMatchObject({
      SnapshotIdentifier: hop2!.input.TargetDBClusterSnapshotIdentifier,
    });
  });
});
