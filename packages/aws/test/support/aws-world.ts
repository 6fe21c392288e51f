import type { AccessScope, PutEventsEntry } from "@aurora-restore/core";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { DescribeKeyCommand, KMSClient, ListAliasesCommand } from "@aws-sdk/client-kms";
import {
  CopyDBClusterSnapshotCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  type DBCluster,
  type DBClusterSnapshot,
  type DBInstance,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
} from "@aws-sdk/client-rds";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import type { AwsClients } from "../../src/clients";

/**
 * A small AWS for the pipeline's adapters, behind aws-sdk-client-mock: RDS (snapshots with their share
 * attribute and key, clusters and instances with renames, deletes and deletion protection), KMS keys,
 * Secrets Manager with staging labels, SNS, EventBridge, and a recorder on the DynamoDB document client.
 * Asynchronous RDS work (copies, restores, renames, deletes) finishes on `settle()`, as a watcher tick
 * would find it later.
 *
 * Every command is recorded with its input, the account/region/role of the client that sent it, the
 * pipeline function whose code sent it (`actingAs`) and the facts AWS itself uses to authorize it (the
 * snapshot's key, the secret's ARN and key...): the IAM simulation (test/iam) turns these into requests.
 */

export type RecordedService = "rds" | "kms" | "secretsmanager" | "sns" | "events" | "dynamodb";

export interface KeyFact {
  arn: string;
  manager: "AWS" | "CUSTOMER";
  aliases: string[];
}

/** What the service looks at when it authorizes the call, beyond the input. */
export interface CallFacts {
  /** DescribeKey: the key the reference resolved to. */
  key?: KeyFact;
  /** RDS: the snapshot(s) the call reads, resolved to their ARN, with their key and owner. */
  sourceSnapshots?: { arn: string; key?: KeyFact; sharedWith: string[] }[];
  /** RDS restore/copy/clone: the key the new resource is encrypted under. */
  destinationKey?: KeyFact;
  /** RDS restore/clone: the cluster that is read (clone) and the defaults RDS applies. */
  sourceClusterKey?: KeyFact;
  defaults?: { clusterParameterGroup: string; optionGroup: string; subnetGroup: string };
  /** Secrets Manager: the secret's full ARN (name plus the six-character suffix) and its key. */
  secretArn?: string;
  secretKey?: KeyFact;
  /** SNS: the topic's key (server-side encryption). */
  topicKey?: KeyFact;
  /** DynamoDB: the deployed table ARN the call used. */
  tableArn?: string;
}

export interface CallRecord {
  seq: number;
  service: RecordedService;
  /** The API operation, e.g. CopyDBClusterSnapshot (DynamoDB: the wire operation, e.g. PutItem). */
  command: string;
  input: Record<string, unknown>;
  /** The client's account and region, and the role it assumed there (if any). */
  scope: AccessScope;
  /** The pipeline function whose code made the call. */
  actor: string;
  facts: CallFacts;
  /** The error AWS answered with (the request was still authorized first). */
  error?: string;
}

type Snapshot = DBClusterSnapshot & { shared: string[]; account: string; region: string };
type Cluster = DBCluster & { account: string; region: string; pendingName?: string };
type Instance = DBInstance & { account: string; region: string };
interface Secret {
  arn: string;
  name: string;
  account: string;
  region: string;
  kmsKeyId?: string;
  versions: Map<string, { value: string; stages: string[] }>;
}
interface Key extends KeyFact {
  account: string;
  region: string;
  enabled: boolean;
}

export class AwsError extends Error {
  readonly $metadata = { httpStatusCode: 400 };
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function parseArn(value: string) {
  const [, partition = "aws", service = "", region = "", account = "", ...rest] = value.split(":");
  return { partition, service, region, account, resource: rest.join(":") };
}

/** The major version RDS names default parameter and option groups after (aurora-postgresql17). */
function engineMajor(version: string | undefined): string {
  return (version ?? "17.4").split(".")[0] ?? "17";
}

export class AwsWorld {
  readonly calls: CallRecord[] = [];
  readonly published: PutEventsEntry[] = [];
  readonly notifications: { topicArn: string; subject?: string }[] = [];
  /** The pipeline function whose code runs now (the driver sets it around each invocation). */
  actor = "test";
  private seq = 0;
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly clusters = new Map<string, Cluster>();
  private readonly instances = new Map<string, Instance>();
  private readonly secrets = new Map<string, Secret>();
  private readonly keys: Key[] = [];
  private readonly topicKeys = new Map<string, string>();
  private readonly tableArns = new Map<string, string>();
  private readonly failPublish = new Map<string, number>();
  private readonly failCommands: { command: string; match: (input: Record<string, unknown>) => boolean }[] =
    [];
  private readonly settling: (() => void)[] = [];
  private readonly scopes = new WeakMap<object, AccessScope>();
  private readonly mocks = {
    rds: mockClient(RDSClient),
    kms: mockClient(KMSClient),
    secrets: mockClient(SecretsManagerClient),
    sns: mockClient(SNSClient),
    events: mockClient(EventBridgeClient),
  };
  readonly clients: AwsClients;

  constructor() {
    const cache = new Map<string, object>();
    const client = <C extends object>(service: string, scope: AccessScope, build: () => C): C => {
      const key = `${service}|${scope.accountId}|${scope.region}|${scope.roleArn ?? ""}`;
      let built = cache.get(key);
      if (!built) {
        built = build();
        this.scopes.set(built, { ...scope });
        cache.set(key, built);
      }
      return built as C;
    };
    this.clients = {
      rds: (scope) => client("rds", scope, () => new RDSClient({ region: scope.region, credentials })),
      kms: (scope) => client("kms", scope, () => new KMSClient({ region: scope.region, credentials })),
      secretsManager: (scope) =>
        client("sm", scope, () => new SecretsManagerClient({ region: scope.region, credentials })),
      sns: (scope) => client("sns", scope, () => new SNSClient({ region: scope.region, credentials })),
      eventBridge: (scope) =>
        client("events", scope, () => new EventBridgeClient({ region: scope.region, credentials })),
    };
    this.wireRds();
    this.wireKms();
    this.wireSecrets();
    this.mocks.sns.on(PublishCommand).callsFake((input, getClient) =>
      this.record("sns", "Publish", input, getClient, (_scope, facts) => {
        const key = this.topicKeys.get(input.TopicArn);
        if (key) facts.topicKey = this.keyFact(this.resolveKey(key, parseArn(input.TopicArn)));
        this.notifications.push({ topicArn: input.TopicArn, subject: input.Subject });
        return { MessageId: `msg-${this.seq}` };
      }),
    );
    this.mocks.events.on(PutEventsCommand).callsFake((input, getClient) =>
      this.record("events", "PutEvents", input, getClient, () => {
        const entries = (input.Entries ?? []) as PutEventsEntry[];
        const results = entries.map((entry, i) => {
          const left = this.failPublish.get(entry.DetailType) ?? 0;
          if (left > 0) {
            this.failPublish.set(entry.DetailType, left - 1);
            return { ErrorCode: "InternalFailure", ErrorMessage: "injected: the entry was not accepted" };
          }
          this.published.push(entry);
          return { EventId: `evt-${this.seq}-${i}` };
        });
        return { FailedEntryCount: results.filter((r) => "ErrorCode" in r).length, Entries: results };
      }),
    );
  }

  restore(): void {
    for (const mock of Object.values(this.mocks)) mock.restore();
  }

  // ---- set-up -------------------------------------------------------------------------------------

  addKey(arn: string, manager: "AWS" | "CUSTOMER" = "CUSTOMER", aliases: string[] = []): string {
    const { account, region } = parseArn(arn);
    this.keys.push({ arn, manager, aliases, account, region, enabled: true });
    return arn;
  }

  /** The account's aws/rds key in a region (RDS creates it on first use). */
  awsRdsKey(account: string, region: string): string {
    const existing = this.keys.find(
      (k) => k.account === account && k.region === region && k.aliases.includes("alias/aws/rds"),
    );
    return (
      existing?.arn ??
      this.addKey(`arn:aws:kms:${region}:${account}:key/aws-rds-${region}`, "AWS", ["alias/aws/rds"])
    );
  }

  encryptTopic(topicArn: string, keyRef: string): void {
    this.topicKeys.set(topicArn, keyRef);
  }

  addSnapshot(scope: AccessScope, id: string, fields: Partial<DBClusterSnapshot> = {}): string {
    const arn = `arn:aws:rds:${scope.region}:${scope.accountId}:cluster-snapshot:${id}`;
    this.snapshots.set(arn, {
      DBClusterSnapshotIdentifier: id,
      DBClusterSnapshotArn: arn,
      DBClusterIdentifier: "unknown",
      Status: "available",
      SnapshotType: "manual",
      StorageEncrypted: true,
      Engine: "aurora-postgresql",
      EngineVersion: "17.4",
      SnapshotCreateTime: new Date("2026-03-14T03:00:00Z"),
      PercentProgress: 100,
      shared: [],
      account: scope.accountId,
      region: scope.region,
      ...fields,
    });
    return arn;
  }

  /**
   * An existing cluster (a source, or the live target) with `instances` available instances; `settings` are
   * what DescribeDBClusters / DescribeDBInstances report for them (parameter groups, tags, monitoring...).
   */
  addCluster(
    scope: AccessScope,
    id: string,
    options: {
      kmsKeyId?: string;
      instances?: string[];
      deletionProtection?: boolean;
      settings?: { cluster?: Partial<DBCluster>; instance?: Partial<DBInstance> };
    } = {},
  ): void {
    const cluster = this.newCluster(scope, id, "available", options.kmsKeyId);
    cluster.DeletionProtection = options.deletionProtection ?? false;
    Object.assign(cluster, options.settings?.cluster);
    this.clusters.set(this.key(scope, id), cluster);
    for (const instance of options.instances ?? []) {
      Object.assign(this.newInstance(scope, instance, id, "available"), options.settings?.instance);
    }
  }

  addSecret(scope: AccessScope, name: string, value: Record<string, unknown>, kmsKeyId?: string): string {
    const secret = this.newSecret(scope, name, kmsKeyId);
    secret.versions.set("v-initial", { value: JSON.stringify(value), stages: ["AWSCURRENT"] });
    return secret.arn;
  }

  /** The table names the test created, and the deployed table ARNs they stand for. */
  mapTable(createdName: string, deployedArn: string): void {
    this.tableArns.set(createdName, deployedArn);
  }

  tableArnOf(createdName: string): string | undefined {
    return this.tableArns.get(createdName);
  }

  keyList(): KeyFact[] {
    return this.keys.map((k) => this.keyFact(k));
  }

  /** Records every DynamoDB call of a document client (its wire operation, from X-Amz-Target). */
  recordDynamo(client: DynamoDBDocumentClient, at: AccessScope): void {
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = (args as { request?: { headers?: Record<string, string> } }).request;
        const target = request?.headers?.["x-amz-target"] ?? "";
        const command = target.split(".").pop() ?? "unknown";
        const input = (args as { input: Record<string, unknown> }).input;
        const record = this.push("dynamodb", command, input, at, {});
        const table = typeof input.TableName === "string" ? input.TableName : undefined;
        if (table) record.facts.tableArn = this.tableArns.get(table);
        try {
          return await next(args);
        } catch (error) {
          record.error = (error as Error).name;
          throw error;
        }
      },
      { step: "finalizeRequest", name: "awsWorldRecorder" },
    );
  }

  /** The next `times` PutEvents entries of this detail-type are refused (FailedEntryCount). */
  refusePublish(detailType: string, times = 1): void {
    this.failPublish.set(detailType, times);
  }

  /** The next call of `command` whose input matches fails with InvalidDBClusterStateFault. */
  failNext(command: string, match: (input: Record<string, unknown>) => boolean): void {
    this.failCommands.push({ command, match });
  }

  /** Asynchronous RDS work finishes: copies, restores, instance creation, renames, deletes. */
  settle(): void {
    for (const step of this.settling.splice(0)) step();
    for (const s of this.snapshots.values()) if (s.Status !== "available") s.Status = "available";
    for (const c of this.clusters.values()) c.Status = "available";
    for (const i of this.instances.values()) i.DBInstanceStatus = "available";
  }

  // ---- what a test looks at ----------------------------------------------------------------------

  cluster(scope: AccessScope, id: string): DBCluster | undefined {
    return this.clusters.get(this.key(scope, id));
  }

  clusterIds(scope: AccessScope): string[] {
    return [...this.clusters.values()]
      .filter((c) => c.account === scope.accountId && c.region === scope.region)
      .map((c) => c.DBClusterIdentifier ?? "");
  }

  instancesOf(scope: AccessScope, clusterId: string): DBInstance[] {
    const cluster = this.cluster(scope, clusterId);
    return (cluster?.DBClusterMembers ?? []).flatMap((m) => {
      const instance = this.instances.get(this.key(scope, m.DBInstanceIdentifier ?? ""));
      return instance ? [instance] : [];
    });
  }

  snapshotIds(scope: AccessScope): string[] {
    return [...this.snapshots.values()]
      .filter((s) => s.account === scope.accountId && s.region === scope.region)
      .map((s) => s.DBClusterSnapshotIdentifier ?? "");
  }

  secret(scope: AccessScope, name: string): Secret | undefined {
    return this.secrets.get(this.key(scope, name));
  }

  callsOf(command: string): CallRecord[] {
    return this.calls.filter((c) => c.command === command);
  }

  // ---- recording ---------------------------------------------------------------------------------

  private push(
    service: RecordedService,
    command: string,
    input: Record<string, unknown>,
    scope: AccessScope,
    facts: CallFacts,
  ): CallRecord {
    const record: CallRecord = {
      seq: ++this.seq,
      service,
      command,
      input: structuredClone(input),
      scope: { ...scope },
      actor: this.actor,
      facts,
    };
    this.calls.push(record);
    return record;
  }

  private record<T>(
    service: RecordedService,
    command: string,
    input: Record<string, unknown>,
    getClient: () => unknown,
    run: (scope: AccessScope, facts: CallFacts) => T,
  ): T {
    const scope = this.scopes.get(getClient() as object);
    if (!scope) throw new Error(`${command}: a client the world did not build`);
    const record = this.push(service, command, input, scope, {});
    try {
      const injected = this.failCommands.findIndex((f) => f.command === command && f.match(input));
      if (injected >= 0) {
        this.failCommands.splice(injected, 1);
        throw new AwsError("InvalidDBClusterStateFault", `injected failure of ${command}`);
      }
      return run(scope, record.facts);
    } catch (error) {
      record.error = (error as Error).name;
      throw error;
    }
  }

  private key(scope: AccessScope, id: string): string {
    return `${scope.accountId}/${scope.region}/${id}`;
  }

  // ---- KMS ---------------------------------------------------------------------------------------

  private resolveKey(ref: string, where: { account: string; region: string }): Key {
    const parsed = ref.startsWith("arn:") ? parseArn(ref) : undefined;
    const account = parsed?.account || where.account;
    const region = parsed?.region || where.region;
    const resource = parsed ? parsed.resource : ref.startsWith("alias/") ? ref : `key/${ref}`;
    if (resource === "alias/aws/rds") return this.keyByArn(this.awsRdsKey(account, region));
    const key = this.keys.find(
      (k) =>
        k.account === account &&
        k.region === region &&
        (resource.startsWith("alias/") ? k.aliases.includes(resource) : k.arn.endsWith(`:${resource}`)),
    );
    if (!key) throw new AwsError("NotFoundException", `Key ${ref} does not exist in ${account}/${region}`);
    return key;
  }

  private keyByArn(arn: string): Key {
    const key = this.keys.find((k) => k.arn === arn);
    if (!key) throw new AwsError("NotFoundException", `Key ${arn} does not exist`);
    return key;
  }

  private keyFact(key: Key): KeyFact {
    return { arn: key.arn, manager: key.manager, aliases: [...key.aliases] };
  }

  private wireKms(): void {
    this.mocks.kms.on(DescribeKeyCommand).callsFake((input, getClient) =>
      this.record("kms", "DescribeKey", input, getClient, (scope, facts) => {
        const key = this.resolveKey(input.KeyId, { account: scope.accountId, region: scope.region });
        if (key.account !== scope.accountId && !String(input.KeyId).startsWith("arn:")) {
          throw new AwsError("NotFoundException", "another account's key is addressed by ARN only");
        }
        facts.key = this.keyFact(key);
        return {
          KeyMetadata: {
            KeyId: key.arn.split("/").pop(),
            Arn: key.arn,
            KeyManager: key.manager,
            Enabled: key.enabled,
            KeyState: key.enabled ? "Enabled" : "Disabled",
          },
        };
      }),
    );
    this.mocks.kms.on(ListAliasesCommand).callsFake((input, getClient) =>
      this.record("kms", "ListAliases", input, getClient, (scope) => {
        const key = input.KeyId
          ? this.resolveKey(input.KeyId, { account: scope.accountId, region: scope.region })
          : undefined;
        return { Aliases: (key?.aliases ?? []).map((AliasName) => ({ AliasName })), Truncated: false };
      }),
    );
  }

  // ---- RDS ---------------------------------------------------------------------------------------

  private snapshotRef(scope: AccessScope, ref: string): string {
    return ref.startsWith("arn:")
      ? ref
      : `arn:aws:rds:${scope.region}:${scope.accountId}:cluster-snapshot:${ref}`;
  }

  private visibleSnapshot(scope: AccessScope, ref: string): Snapshot {
    const snapshot = this.snapshots.get(this.snapshotRef(scope, ref));
    const visible =
      snapshot &&
      snapshot.region === scope.region &&
      (snapshot.account === scope.accountId || snapshot.shared.includes(scope.accountId));
    if (!snapshot || !visible) {
      throw new AwsError("DBClusterSnapshotNotFoundFault", `DBClusterSnapshot ${ref} not found.`);
    }
    return snapshot;
  }

  private ownSnapshot(scope: AccessScope, id: string): Snapshot {
    const snapshot = this.snapshots.get(this.snapshotRef(scope, id));
    if (!snapshot || snapshot.account !== scope.accountId) {
      throw new AwsError("DBClusterSnapshotNotFoundFault", `DBClusterSnapshot ${id} not found.`);
    }
    return snapshot;
  }

  private snapshotFact(snapshot: Snapshot) {
    const key = snapshot.KmsKeyId
      ? this.keyFact(
          this.resolveKey(snapshot.KmsKeyId, { account: snapshot.account, region: snapshot.region }),
        )
      : undefined;
    return {
      arn: snapshot.DBClusterSnapshotArn ?? "",
      sharedWith: [...snapshot.shared],
      ...(key ? { key } : {}),
    };
  }

  private findCluster(scope: AccessScope, id: string): Cluster {
    const cluster = this.clusters.get(this.key(scope, id));
    if (!cluster) throw new AwsError("DBClusterNotFoundFault", `DBCluster ${id} not found.`);
    return cluster;
  }

  private findInstance(scope: AccessScope, id: string): Instance {
    const instance = this.instances.get(this.key(scope, id));
    if (!instance) throw new AwsError("DBInstanceNotFoundFault", `DBInstance ${id} not found.`);
    return instance;
  }

  private newCluster(scope: AccessScope, id: string, status: string, kmsKeyId?: string): Cluster {
    return {
      DBClusterIdentifier: id,
      DBClusterArn: `arn:aws:rds:${scope.region}:${scope.accountId}:cluster:${id}`,
      Status: status,
      Engine: "aurora-postgresql",
      EngineVersion: "17.4",
      Endpoint: `${id}.cluster-xyz.${scope.region}.rds.amazonaws.com`,
      Port: 5432,
      MasterUsername: "postgres",
      StorageEncrypted: true,
      KmsKeyId: kmsKeyId,
      DBClusterMembers: [],
      DeletionProtection: false,
      ClusterCreateTime: new Date("2026-03-14T05:00:00Z"),
      account: scope.accountId,
      region: scope.region,
    };
  }

  private newInstance(scope: AccessScope, id: string, clusterId: string, status: string): Instance {
    const cluster = this.findCluster(scope, clusterId);
    if (this.instances.has(this.key(scope, id))) {
      throw new AwsError("DBInstanceAlreadyExistsFault", `DB instance ${id} already exists.`);
    }
    const instance: Instance = {
      DBInstanceIdentifier: id,
      DBInstanceArn: `arn:aws:rds:${scope.region}:${scope.accountId}:db:${id}`,
      DBClusterIdentifier: clusterId,
      DBInstanceClass: "db.r6g.large",
      DBInstanceStatus: status,
      account: scope.accountId,
      region: scope.region,
    };
    this.instances.set(this.key(scope, id), instance);
    cluster.DBClusterMembers?.push({
      DBInstanceIdentifier: id,
      IsClusterWriter: cluster.DBClusterMembers.length === 0,
    });
    return instance;
  }

  /** What a restore or clone sets on the cluster it creates. */
  private applyClusterSettings(cluster: Cluster, input: Record<string, unknown>): void {
    const given = {
      DeletionProtection: input.DeletionProtection as boolean | undefined,
      DBClusterParameterGroup: input.DBClusterParameterGroupName as string | undefined,
      BackupRetentionPeriod: input.BackupRetentionPeriod as number | undefined,
      IAMDatabaseAuthenticationEnabled: input.EnableIAMDatabaseAuthentication as boolean | undefined,
      EnabledCloudwatchLogsExports: input.EnableCloudwatchLogsExports as string[] | undefined,
      TagList: input.Tags as { Key: string; Value: string }[] | undefined,
    };
    for (const [key, value] of Object.entries(given)) {
      if (value !== undefined) Object.assign(cluster, { [key]: value });
    }
  }

  private restoreDefaults(engineVersion: string | undefined, input: Record<string, unknown>) {
    const major = engineMajor(engineVersion);
    return {
      clusterParameterGroup:
        (input.DBClusterParameterGroupName as string) ?? `default.aurora-postgresql${major}`,
      optionGroup: `default:aurora-postgresql-${major}`,
      subnetGroup: (input.DBSubnetGroupName as string) ?? "default",
    };
  }

  private wireRds(): void {
    const rds = this.mocks.rds;
    rds.on(DescribeDBClusterSnapshotsCommand).callsFake((input, getClient) =>
      this.record("rds", "DescribeDBClusterSnapshots", input, getClient, (scope, facts) => {
        if (input.DBClusterSnapshotIdentifier) {
          const snapshot = this.visibleSnapshot(scope, input.DBClusterSnapshotIdentifier);
          facts.sourceSnapshots = [this.snapshotFact(snapshot)];
          return { DBClusterSnapshots: [{ ...snapshot }] };
        }
        const listed = [...this.snapshots.values()].filter(
          (s) =>
            s.region === scope.region &&
            (s.account === scope.accountId || (input.IncludeShared && s.shared.includes(scope.accountId))) &&
            (!input.DBClusterIdentifier || s.DBClusterIdentifier === input.DBClusterIdentifier) &&
            (!input.SnapshotType || s.SnapshotType === input.SnapshotType),
        );
        return { DBClusterSnapshots: listed.map((s) => ({ ...s })) };
      }),
    );
    rds.on(CopyDBClusterSnapshotCommand).callsFake((input, getClient) =>
      this.record("rds", "CopyDBClusterSnapshot", input, getClient, (scope, facts) => {
        const source = this.visibleSnapshot(
          {
            ...scope,
            region: parseArn(this.snapshotRef(scope, input.SourceDBClusterSnapshotIdentifier)).region,
          },
          input.SourceDBClusterSnapshotIdentifier,
        );
        facts.sourceSnapshots = [this.snapshotFact(source)];
        if (source.account !== scope.accountId && source.StorageEncrypted && !input.KmsKeyId) {
          throw new AwsError(
            "InvalidParameterValue",
            "KmsKeyId is required to copy a shared encrypted snapshot",
          );
        }
        if (source.region !== scope.region && source.StorageEncrypted && !input.KmsKeyId) {
          throw new AwsError(
            "InvalidParameterValue",
            "KmsKeyId is required for a cross-region encrypted copy",
          );
        }
        const keyRef = input.KmsKeyId ?? source.KmsKeyId;
        const key = keyRef
          ? this.resolveKey(keyRef, { account: scope.accountId, region: scope.region })
          : undefined;
        if (key) facts.destinationKey = this.keyFact(key);
        const arn = this.snapshotRef(scope, input.TargetDBClusterSnapshotIdentifier);
        if (this.snapshots.has(arn)) {
          throw new AwsError(
            "DBClusterSnapshotAlreadyExistsFault",
            `${input.TargetDBClusterSnapshotIdentifier} exists`,
          );
        }
        this.addSnapshot(scope, input.TargetDBClusterSnapshotIdentifier, {
          DBClusterIdentifier: source.DBClusterIdentifier,
          Status: "copying",
          PercentProgress: 10,
          SnapshotType: "manual",
          KmsKeyId: key?.arn,
          EngineVersion: source.EngineVersion,
          SnapshotCreateTime: source.SnapshotCreateTime,
        });
        return { DBClusterSnapshot: { ...this.visibleSnapshot(scope, arn) } };
      }),
    );
    rds.on(ModifyDBClusterSnapshotAttributeCommand).callsFake((input, getClient) =>
      this.record("rds", "ModifyDBClusterSnapshotAttribute", input, getClient, (scope, facts) => {
        const snapshot = this.ownSnapshot(scope, input.DBClusterSnapshotIdentifier);
        facts.sourceSnapshots = [this.snapshotFact(snapshot)];
        if (snapshot.SnapshotType === "automated") {
          throw new AwsError("InvalidDBClusterSnapshotStateFault", "automated snapshots cannot be shared");
        }
        const key = this.snapshotFact(snapshot).key;
        if (key?.manager === "AWS") {
          throw new AwsError("InvalidParameterValue", "a snapshot under the default key cannot be shared");
        }
        for (const account of input.ValuesToAdd ?? []) {
          if (!snapshot.shared.includes(account)) snapshot.shared.push(account);
        }
        return {};
      }),
    );
    rds.on(DeleteDBClusterSnapshotCommand).callsFake((input, getClient) =>
      this.record("rds", "DeleteDBClusterSnapshot", input, getClient, (scope, facts) => {
        const snapshot = this.ownSnapshot(scope, input.DBClusterSnapshotIdentifier);
        facts.sourceSnapshots = [this.snapshotFact(snapshot)];
        if (snapshot.SnapshotType === "automated") {
          throw new AwsError("InvalidDBClusterSnapshotStateFault", "automated snapshots are deleted by RDS");
        }
        snapshot.Status = "deleting";
        this.settling.push(() => this.snapshots.delete(snapshot.DBClusterSnapshotArn ?? ""));
        return { DBClusterSnapshot: { ...snapshot } };
      }),
    );
    rds.on(RestoreDBClusterFromSnapshotCommand).callsFake((input, getClient) =>
      this.record("rds", "RestoreDBClusterFromSnapshot", input, getClient, (scope, facts) => {
        const snapshot = this.visibleSnapshot(scope, input.SnapshotIdentifier);
        facts.sourceSnapshots = [this.snapshotFact(snapshot)];
        facts.defaults = this.restoreDefaults(snapshot.EngineVersion, input);
        const keyRef = input.KmsKeyId ?? snapshot.KmsKeyId;
        const key = keyRef
          ? this.resolveKey(keyRef, { account: scope.accountId, region: scope.region })
          : undefined;
        if (key) facts.destinationKey = this.keyFact(key);
        if (this.clusters.has(this.key(scope, input.DBClusterIdentifier))) {
          throw new AwsError("DBClusterAlreadyExistsFault", `DB cluster ${input.DBClusterIdentifier} exists`);
        }
        const cluster = this.newCluster(scope, input.DBClusterIdentifier, "creating", key?.arn);
        this.applyClusterSettings(cluster, input);
        this.clusters.set(this.key(scope, input.DBClusterIdentifier), cluster);
        return { DBCluster: { ...cluster } };
      }),
    );
    rds.on(RestoreDBClusterToPointInTimeCommand).callsFake((input, getClient) =>
      this.record("rds", "RestoreDBClusterToPointInTime", input, getClient, (scope, facts) => {
        const source = this.findCluster(scope, input.SourceDBClusterIdentifier);
        facts.defaults = this.restoreDefaults(source.EngineVersion, input);
        if (source.KmsKeyId) {
          facts.sourceClusterKey = this.keyFact(
            this.resolveKey(source.KmsKeyId, { account: scope.accountId, region: scope.region }),
          );
        }
        const keyRef = input.KmsKeyId ?? source.KmsKeyId;
        const key = keyRef
          ? this.resolveKey(keyRef, { account: scope.accountId, region: scope.region })
          : undefined;
        if (key) facts.destinationKey = this.keyFact(key);
        if (this.clusters.has(this.key(scope, input.DBClusterIdentifier))) {
          throw new AwsError("DBClusterAlreadyExistsFault", `DB cluster ${input.DBClusterIdentifier} exists`);
        }
        const cluster = this.newCluster(scope, input.DBClusterIdentifier, "creating", key?.arn);
        this.applyClusterSettings(cluster, input);
        this.clusters.set(this.key(scope, input.DBClusterIdentifier), cluster);
        return { DBCluster: { ...cluster } };
      }),
    );
    rds.on(DescribeDBClustersCommand).callsFake((input, getClient) =>
      this.record("rds", "DescribeDBClusters", input, getClient, (scope) => ({
        DBClusters: [{ ...this.findCluster(scope, input.DBClusterIdentifier) }],
      })),
    );
    rds.on(CreateDBInstanceCommand).callsFake((input, getClient) =>
      this.record("rds", "CreateDBInstance", input, getClient, (scope) => {
        this.findCluster(scope, input.DBClusterIdentifier);
        const instance = this.newInstance(
          scope,
          input.DBInstanceIdentifier,
          input.DBClusterIdentifier,
          "creating",
        );
        Object.assign(
          instance,
          Object.fromEntries(
            Object.entries({
              DBParameterGroups: input.DBParameterGroupName
                ? [{ DBParameterGroupName: input.DBParameterGroupName, ParameterApplyStatus: "in-sync" }]
                : undefined,
              PerformanceInsightsEnabled: input.EnablePerformanceInsights,
              PerformanceInsightsKMSKeyId: input.PerformanceInsightsKMSKeyId,
              PerformanceInsightsRetentionPeriod: input.PerformanceInsightsRetentionPeriod,
              MonitoringInterval: input.MonitoringInterval,
              MonitoringRoleArn: input.MonitoringRoleArn,
              // RDS's default in a VPC with an internet gateway: public.
              PubliclyAccessible: input.PubliclyAccessible ?? true,
              TagList: input.Tags,
            }).filter(([, v]) => v !== undefined),
          ),
        );
        return { DBInstance: { ...instance } };
      }),
    );
    rds.on(DescribeDBInstancesCommand).callsFake((input, getClient) =>
      this.record("rds", "DescribeDBInstances", input, getClient, (scope) => ({
        DBInstances: [{ ...this.findInstance(scope, input.DBInstanceIdentifier) }],
      })),
    );
    rds.on(ModifyDBClusterCommand).callsFake((input, getClient) =>
      this.record("rds", "ModifyDBCluster", input, getClient, (scope) => {
        const cluster = this.findCluster(scope, input.DBClusterIdentifier);
        if (input.DeletionProtection !== undefined) cluster.DeletionProtection = input.DeletionProtection;
        if (input.MasterUserPassword) cluster.Status = "resetting-master-credentials";
        const to = input.NewDBClusterIdentifier;
        if (to) {
          if (this.clusters.has(this.key(scope, to)) || cluster.pendingName) {
            throw new AwsError("DBClusterAlreadyExistsFault", `DB cluster ${to} already exists`);
          }
          cluster.Status = "renaming";
          cluster.pendingName = to;
          const from = input.DBClusterIdentifier;
          this.settling.push(() => {
            this.clusters.delete(this.key(scope, from));
            cluster.DBClusterIdentifier = to;
            cluster.DBClusterArn = `arn:aws:rds:${scope.region}:${scope.accountId}:cluster:${to}`;
            cluster.Endpoint = `${to}.cluster-xyz.${scope.region}.rds.amazonaws.com`;
            cluster.pendingName = undefined;
            this.clusters.set(this.key(scope, to), cluster);
            for (const member of cluster.DBClusterMembers ?? []) {
              const instance = this.instances.get(this.key(scope, member.DBInstanceIdentifier ?? ""));
              if (instance) instance.DBClusterIdentifier = to;
            }
          });
        }
        return { DBCluster: { ...cluster } };
      }),
    );
    rds.on(ModifyDBInstanceCommand).callsFake((input, getClient) =>
      this.record("rds", "ModifyDBInstance", input, getClient, (scope) => {
        const instance = this.findInstance(scope, input.DBInstanceIdentifier);
        const to = input.NewDBInstanceIdentifier;
        if (to) {
          if (this.instances.has(this.key(scope, to))) {
            throw new AwsError("DBInstanceAlreadyExistsFault", `DB instance ${to} already exists`);
          }
          const from = input.DBInstanceIdentifier;
          this.instances.delete(this.key(scope, from));
          instance.DBInstanceIdentifier = to;
          instance.DBInstanceArn = `arn:aws:rds:${scope.region}:${scope.accountId}:db:${to}`;
          instance.DBInstanceStatus = "renaming";
          this.instances.set(this.key(scope, to), instance);
          for (const cluster of this.clusters.values()) {
            for (const member of cluster.DBClusterMembers ?? []) {
              if (cluster.account === scope.accountId && member.DBInstanceIdentifier === from) {
                member.DBInstanceIdentifier = to;
              }
            }
          }
        }
        return { DBInstance: { ...instance } };
      }),
    );
    rds.on(DeleteDBInstanceCommand).callsFake((input, getClient) =>
      this.record("rds", "DeleteDBInstance", input, getClient, (scope) => {
        const instance = this.findInstance(scope, input.DBInstanceIdentifier);
        instance.DBInstanceStatus = "deleting";
        this.settling.push(() => {
          this.instances.delete(this.key(scope, input.DBInstanceIdentifier));
          const cluster = this.clusters.get(this.key(scope, instance.DBClusterIdentifier ?? ""));
          if (cluster) {
            cluster.DBClusterMembers = (cluster.DBClusterMembers ?? []).filter(
              (m) => m.DBInstanceIdentifier !== input.DBInstanceIdentifier,
            );
          }
        });
        return { DBInstance: { ...instance } };
      }),
    );
    rds.on(DeleteDBClusterCommand).callsFake((input, getClient) =>
      this.record("rds", "DeleteDBCluster", input, getClient, (scope) => {
        const cluster = this.findCluster(scope, input.DBClusterIdentifier);
        if (cluster.DeletionProtection) {
          throw new AwsError(
            "InvalidParameterCombination",
            "Cannot delete protected Cluster, please disable deletion protection and try again.",
          );
        }
        const live = (cluster.DBClusterMembers ?? []).filter(
          (m) =>
            this.instances.get(this.key(scope, m.DBInstanceIdentifier ?? ""))?.DBInstanceStatus !==
            "deleting",
        );
        if (live.length > 0) {
          throw new AwsError(
            "InvalidDBClusterStateFault",
            "Cluster still contains DB instances in non-deleting state.",
          );
        }
        if (input.SkipFinalSnapshot === false && !input.FinalDBSnapshotIdentifier) {
          throw new AwsError("InvalidParameterCombination", "FinalDBSnapshotIdentifier is required");
        }
        if (input.FinalDBSnapshotIdentifier) {
          this.addSnapshot(scope, input.FinalDBSnapshotIdentifier, {
            DBClusterIdentifier: input.DBClusterIdentifier,
            Status: "creating",
            KmsKeyId: cluster.KmsKeyId,
          });
        }
        cluster.Status = "deleting";
        this.settling.push(() => this.clusters.delete(this.key(scope, input.DBClusterIdentifier)));
        return { DBCluster: { ...cluster } };
      }),
    );
    rds.on(CreateDBClusterSnapshotCommand).callsFake((input, getClient) =>
      this.record("rds", "CreateDBClusterSnapshot", input, getClient, (scope) => {
        const cluster = this.findCluster(scope, input.DBClusterIdentifier);
        const arn = this.addSnapshot(scope, input.DBClusterSnapshotIdentifier, {
          DBClusterIdentifier: input.DBClusterIdentifier,
          Status: "creating",
          KmsKeyId: cluster.KmsKeyId,
        });
        return { DBClusterSnapshot: { ...this.visibleSnapshot(scope, arn) } };
      }),
    );
  }

  // ---- Secrets Manager ---------------------------------------------------------------------------

  private newSecret(scope: AccessScope, name: string, kmsKeyId?: string): Secret {
    const suffix = Array.from(
      { length: 6 },
      (_, i) => SUFFIX_ALPHABET[(name.length * 7 + i * 13 + this.secrets.size) % SUFFIX_ALPHABET.length],
    ).join("");
    const secret: Secret = {
      arn: `arn:aws:secretsmanager:${scope.region}:${scope.accountId}:secret:${name}-${suffix}`,
      name,
      account: scope.accountId,
      region: scope.region,
      ...(kmsKeyId ? { kmsKeyId } : {}),
      versions: new Map(),
    };
    this.secrets.set(this.key(scope, name), secret);
    return secret;
  }

  private findSecret(scope: AccessScope, id: string, facts: CallFacts): Secret {
    const secret = [...this.secrets.values()].find(
      (s) => s.account === scope.accountId && s.region === scope.region && (s.name === id || s.arn === id),
    );
    if (!secret) {
      // A secret that does not exist is authorized against the ARN its name gives (no random suffix).
      facts.secretArn = id.startsWith("arn:")
        ? id
        : `arn:aws:secretsmanager:${scope.region}:${scope.accountId}:secret:${id}`;
      throw new AwsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    }
    facts.secretArn = secret.arn;
    if (secret.kmsKeyId) {
      facts.secretKey = this.keyFact(
        this.resolveKey(secret.kmsKeyId, { account: secret.account, region: secret.region }),
      );
    }
    return secret;
  }

  private stage(secret: Secret, versionId: string, stages: string[]): void {
    for (const label of stages) {
      for (const [id, version] of secret.versions) {
        if (id !== versionId && version.stages.includes(label)) {
          version.stages = version.stages.filter((s) => s !== label);
          if (label === "AWSCURRENT") {
            for (const other of secret.versions.values()) {
              other.stages = other.stages.filter((s) => s !== "AWSPREVIOUS");
            }
            version.stages.push("AWSPREVIOUS");
          }
        }
      }
    }
  }

  private wireSecrets(): void {
    const sm = this.mocks.secrets;
    let versions = 0;
    sm.on(CreateSecretCommand).callsFake((input, getClient) =>
      this.record("secretsmanager", "CreateSecret", input, getClient, (scope, facts) => {
        if (this.secrets.has(this.key(scope, input.Name))) {
          facts.secretArn = this.secrets.get(this.key(scope, input.Name))?.arn;
          throw new AwsError("ResourceExistsException", `The secret ${input.Name} already exists.`);
        }
        const secret = this.newSecret(scope, input.Name, input.KmsKeyId);
        facts.secretArn = secret.arn;
        if (input.KmsKeyId) {
          facts.secretKey = this.keyFact(
            this.resolveKey(input.KmsKeyId, { account: scope.accountId, region: scope.region }),
          );
        }
        const versionId = input.ClientRequestToken ?? `v-${++versions}`;
        secret.versions.set(versionId, { value: input.SecretString ?? "", stages: ["AWSCURRENT"] });
        return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
      }),
    );
    sm.on(PutSecretValueCommand).callsFake((input, getClient) =>
      this.record("secretsmanager", "PutSecretValue", input, getClient, (scope, facts) => {
        const secret = this.findSecret(scope, input.SecretId, facts);
        const versionId = input.ClientRequestToken ?? `v-${++versions}`;
        const existing = secret.versions.get(versionId);
        if (existing) {
          // ClientRequestToken: the same version again is a no-op; another value under it is refused.
          if (existing.value !== input.SecretString) {
            throw new AwsError("ResourceExistsException", `Version ${versionId} exists with another value.`);
          }
          return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
        }
        const stages = input.VersionStages ?? ["AWSCURRENT"];
        this.stage(secret, versionId, stages);
        secret.versions.set(versionId, { value: input.SecretString ?? "", stages: [...stages] });
        return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
      }),
    );
    sm.on(GetSecretValueCommand).callsFake((input, getClient) =>
      this.record("secretsmanager", "GetSecretValue", input, getClient, (scope, facts) => {
        const secret = this.findSecret(scope, input.SecretId, facts);
        const label = input.VersionStage ?? "AWSCURRENT";
        const byId = input.VersionId ? secret.versions.get(input.VersionId) : undefined;
        const found = input.VersionId
          ? byId && ([input.VersionId, byId] as const)
          : [...secret.versions].find(([, v]) => v.stages.includes(label));
        if (!found) {
          throw new AwsError(
            "ResourceNotFoundException",
            `${secret.name} has no version ${input.VersionId ?? label}.`,
          );
        }
        return { ARN: secret.arn, Name: secret.name, VersionId: found[0], SecretString: found[1].value };
      }),
    );
    sm.on(DescribeSecretCommand).callsFake((input, getClient) =>
      this.record("secretsmanager", "DescribeSecret", input, getClient, (scope, facts) => {
        const secret = this.findSecret(scope, input.SecretId, facts);
        return {
          ARN: secret.arn,
          Name: secret.name,
          ...(secret.kmsKeyId ? { KmsKeyId: secret.kmsKeyId } : {}),
          VersionIdsToStages: Object.fromEntries([...secret.versions].map(([id, v]) => [id, [...v.stages]])),
        };
      }),
    );
    sm.on(UpdateSecretVersionStageCommand).callsFake((input, getClient) =>
      this.record("secretsmanager", "UpdateSecretVersionStage", input, getClient, (scope, facts) => {
        const secret = this.findSecret(scope, input.SecretId, facts);
        if (input.RemoveFromVersionId) {
          const version = secret.versions.get(input.RemoveFromVersionId);
          if (version) version.stages = version.stages.filter((s) => s !== input.VersionStage);
        }
        if (input.MoveToVersionId) {
          this.stage(secret, input.MoveToVersionId, [input.VersionStage]);
          secret.versions.get(input.MoveToVersionId)?.stages.push(input.VersionStage);
        }
        return { ARN: secret.arn, Name: secret.name };
      }),
    );
  }
}
