import type { AnyDomainEventContract, DomainEventDetail, ParsedEnvelope } from "../../src/events/contract";
import { AwsCallError, type AwsErrorCode } from "../../src/ports/errors";
import type { PutEventsEntry } from "../../src/ports/events";
import type { KmsKeyInfo, KmsPort } from "../../src/ports/kms";
import type { AccessScope, AccountRegion } from "../../src/ports/location";
import type {
  CloneClusterInput,
  ClusterSettings,
  ClusterSnapshot,
  DbCluster,
  DbInstance,
  RdsPort,
  RestoreClusterInput,
} from "../../src/ports/rds";

/**
 * An in-memory AWS for the snapshot-to-cluster stages (trigger, prepare, copy, restore, watcher): RDS with
 * statuses a test moves forward, KMS keys, and a log of every call with its scope and input. It refuses what
 * RDS refuses where the stages depend on it (sharing automated or default-key snapshots, using a shared
 * snapshot that was not shared, existing identifiers).
 */

export interface RecordedCall {
  service: "rds" | "kms";
  method: string;
  scope: AccessScope;
  input: unknown;
}

const at = (where: AccountRegion, id: string) => `${where.accountId}/${where.region}/${id}`;
const fault = (code: AwsErrorCode, message: string, service: "rds" | "kms" = "rds") =>
  new AwsCallError(code, message, service);

function parseArn(text: string): (AccountRegion & { resource: string }) | undefined {
  if (!text.startsWith("arn:")) return undefined;
  const [, , , region = "", accountId = "", ...rest] = text.split(":");
  return { accountId, region, resource: rest.join(":") };
}

export function snapshotArn(where: AccountRegion, id: string): string {
  return `arn:aws:rds:${where.region}:${where.accountId}:cluster-snapshot:${id}`;
}

export function defaultKeyArn(where: AccountRegion): string {
  return `arn:aws:kms:${where.region}:${where.accountId}:key/aws-rds-default`;
}

export class FakeCloud {
  readonly snapshots = new Map<string, ClusterSnapshot>();
  readonly clusters = new Map<string, DbCluster>();
  readonly instances = new Map<string, DbInstance>();
  readonly keys = new Map<string, KmsKeyInfo>();
  readonly calls: RecordedCall[] = [];
  /** Makes the next calls of `method` throw these errors, in order. */
  private readonly failures = new Map<string, Error[]>();

  constructor(private readonly now: () => Date) {}

  failNext(method: string, error: Error): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), error]);
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  addKey(arn: string, keyManager: "AWS" | "CUSTOMER" = "CUSTOMER", enabled = true): KmsKeyInfo {
    const parsed = parseArn(arn)!;
    const info: KmsKeyInfo = {
      accountId: parsed.accountId,
      region: parsed.region,
      keyId: parsed.resource.replace(/^key\//, ""),
      arn,
      keyManager,
      enabled,
      aliases: keyManager === "AWS" ? ["alias/aws/rds"] : [],
    };
    this.keys.set(arn, info);
    return info;
  }

  addSnapshot(
    where: AccountRegion,
    id: string,
    fields: Partial<ClusterSnapshot> & { clusterIdentifier: string },
  ): ClusterSnapshot {
    const snapshot: ClusterSnapshot = {
      ...where,
      identifier: id,
      arn: snapshotArn(where, id),
      status: "available",
      type: id.startsWith("rds:") ? "automated" : "manual",
      encrypted: true,
      engine: "aurora-postgresql",
      createdAt: this.now().toISOString(),
      sharedWith: [],
      ...fields,
    };
    this.snapshots.set(at(where, id), snapshot);
    return snapshot;
  }

  addCluster(where: AccountRegion, id: string, fields: Partial<DbCluster> = {}): DbCluster {
    const cluster: DbCluster = {
      ...where,
      identifier: id,
      arn: `arn:aws:rds:${where.region}:${where.accountId}:cluster:${id}`,
      status: "available",
      engine: "aurora-postgresql",
      endpoint: `${id}.cluster-fake.${where.region}.rds.amazonaws.com`,
      port: 5432,
      masterUsername: "postgres",
      members: [],
      createdAt: this.now().toISOString(),
      ...fields,
    };
    this.clusters.set(at(where, id), cluster);
    return cluster;
  }

  snapshot(where: AccountRegion, id: string): ClusterSnapshot | undefined {
    return this.snapshots.get(at(where, id));
  }

  cluster(where: AccountRegion, id: string): DbCluster | undefined {
    return this.clusters.get(at(where, id));
  }

  instance(where: AccountRegion, id: string): DbInstance | undefined {
    return this.instances.get(at(where, id));
  }

  /** Moves every resource that is still busy to `available` (what time does in AWS). */
  settle(): void {
    for (const s of this.snapshots.values()) if (s.status !== "available") s.status = "available";
    for (const c of this.clusters.values()) if (c.status !== "available") c.status = "available";
    for (const i of this.instances.values()) if (i.status !== "available") i.status = "available";
  }

  private resolveKey(where: AccountRegion, ref: string): KmsKeyInfo {
    if (ref === "alias/aws/rds" || ref.endsWith(":alias/aws/rds")) {
      const arn = defaultKeyArn(parseArn(ref) ?? where);
      return this.keys.get(arn) ?? this.addKey(arn, "AWS");
    }
    const key = this.keys.get(ref);
    if (!key) throw fault("NotFoundException", `Key ${ref} does not exist`, "kms");
    return key;
  }

  private record(service: "rds" | "kms", method: string, scope: AccessScope, input: unknown): void {
    this.calls.push({ service, method, scope, input: structuredClone(input) });
    const queued = this.failures.get(method);
    const error = queued?.shift();
    if (error) throw error;
  }

  kms(scope: AccessScope): KmsPort {
    const where = { accountId: scope.accountId, region: scope.region };
    return {
      location: where,
      describeKey: async (ref) => {
        this.record("kms", "describeKey", scope, ref);
        return structuredClone(this.resolveKey(where, ref));
      },
    };
  }

  rds(scope: AccessScope): RdsPort {
    const where = { accountId: scope.accountId, region: scope.region };
    const call = (method: string, input: unknown) => this.record("rds", method, scope, input);
    const findSnapshot = (ref: string): ClusterSnapshot => {
      const arn = parseArn(ref);
      const location = arn ?? where;
      const id = arn ? arn.resource.replace(/^cluster-snapshot:/, "") : ref;
      const snapshot = this.snapshots.get(at(location, id));
      const visible =
        snapshot &&
        (snapshot.accountId === where.accountId || snapshot.sharedWith?.includes(where.accountId));
      if (!snapshot || !visible)
        throw fault("DBClusterSnapshotNotFoundFault", `DBClusterSnapshot ${ref} not found.`);
      return snapshot;
    };
    const mustCluster = (id: string) => {
      const cluster = this.clusters.get(at(where, id));
      if (!cluster) throw fault("DBClusterNotFoundFault", `DBCluster ${id} not found.`);
      return cluster;
    };
    const notUsed = async (): Promise<never> => {
      throw new Error("not used by trigger/prepare/copy/restore/watcher");
    };
    return {
      location: where,
      describeClusterSnapshot: async (ref) => {
        call("describeClusterSnapshot", ref);
        return structuredClone(findSnapshot(ref));
      },
      listClusterSnapshots: async ({ clusterIdentifier, type }) => {
        call("listClusterSnapshots", { clusterIdentifier, type });
        return [...this.snapshots.values()]
          .filter(
            (s) =>
              s.accountId === where.accountId &&
              s.region === where.region &&
              s.clusterIdentifier === clusterIdentifier &&
              (!type || s.type === type),
          )
          .sort((a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? ""))
          .map((s) => structuredClone(s));
      },
      copyClusterSnapshot: async (input) => {
        call("copyClusterSnapshot", input);
        const source = findSnapshot(input.source);
        if (this.snapshots.has(at(where, input.targetIdentifier))) {
          throw fault(
            "DBClusterSnapshotAlreadyExistsFault",
            `Snapshot ${input.targetIdentifier} already exists.`,
          );
        }
        const crossAccount = source.accountId !== where.accountId;
        if (crossAccount && source.encrypted && !input.kmsKeyId) {
          throw fault(
            "InvalidParameterValueException",
            "KmsKeyId is required to copy a shared encrypted snapshot.",
          );
        }
        const key = input.kmsKeyId ? this.resolveKey(where, input.kmsKeyId) : undefined;
        if (key && (key.accountId !== where.accountId || key.region !== where.region)) {
          throw fault(
            "KMSKeyNotAccessibleFault",
            `Key ${key.arn} is not in ${where.accountId}/${where.region}.`,
          );
        }
        return structuredClone(
          this.addSnapshot(where, input.targetIdentifier, {
            clusterIdentifier: source.clusterIdentifier,
            type: "manual",
            status: "copying",
            percentProgress: 0,
            encrypted: source.encrypted,
            kmsKeyId: key?.arn ?? source.kmsKeyId,
          }),
        );
      },
      shareClusterSnapshot: async (input) => {
        call("shareClusterSnapshot", input);
        const snapshot = findSnapshot(input.snapshotIdentifier);
        if (snapshot.type === "automated") {
          throw fault("InvalidParameterValueException", "Automated snapshots cannot be shared.");
        }
        if (snapshot.kmsKeyId && this.keys.get(snapshot.kmsKeyId)?.keyManager === "AWS") {
          throw fault(
            "InvalidParameterValueException",
            "Snapshots encrypted with the default key cannot be shared.",
          );
        }
        snapshot.sharedWith = [...new Set([...(snapshot.sharedWith ?? []), ...input.accountIds])];
      },
      restoreClusterFromSnapshot: async (input) => {
        call("restoreClusterFromSnapshot", input);
        const snapshot = findSnapshot(input.snapshotIdentifier);
        if (this.clusters.has(at(where, input.clusterIdentifier))) {
          throw fault("DBClusterAlreadyExistsFault", `DBCluster ${input.clusterIdentifier} already exists.`);
        }
        if (snapshot.status !== "available") {
          throw fault(
            "InvalidDBClusterSnapshotStateFault",
            `Snapshot ${snapshot.identifier} is ${snapshot.status}.`,
          );
        }
        return structuredClone(
          this.addCluster(where, input.clusterIdentifier, {
            status: "creating",
            ...(input.kmsKeyId ? { kmsKeyId: input.kmsKeyId } : {}),
            settings: settingsOf(input),
          }),
        );
      },
      cloneCluster: async (input) => {
        call("cloneCluster", input);
        mustCluster(input.sourceClusterIdentifier);
        if (this.clusters.has(at(where, input.clusterIdentifier))) {
          throw fault("DBClusterAlreadyExistsFault", `DBCluster ${input.clusterIdentifier} already exists.`);
        }
        return structuredClone(
          this.addCluster(where, input.clusterIdentifier, {
            status: "creating",
            settings: settingsOf(input),
          }),
        );
      },
      createInstance: async (input) => {
        call("createInstance", input);
        const cluster = mustCluster(input.clusterIdentifier);
        if (this.instances.has(at(where, input.instanceIdentifier))) {
          throw fault(
            "DBInstanceAlreadyExistsFault",
            `DBInstance ${input.instanceIdentifier} already exists.`,
          );
        }
        const instance: DbInstance = {
          ...where,
          identifier: input.instanceIdentifier,
          arn: `arn:aws:rds:${where.region}:${where.accountId}:db:${input.instanceIdentifier}`,
          clusterIdentifier: input.clusterIdentifier,
          instanceClass: input.instanceClass,
          status: "creating",
          settings: { ...input.settings, ...(input.tags ? { tags: input.tags } : {}) },
        };
        this.instances.set(at(where, input.instanceIdentifier), instance);
        cluster.members.push({ instanceIdentifier: input.instanceIdentifier });
        return structuredClone(instance);
      },
      describeCluster: async (id) => {
        call("describeCluster", id);
        return structuredClone(mustCluster(id));
      },
      describeInstance: async (id) => {
        call("describeInstance", id);
        const instance = this.instances.get(at(where, id));
        if (!instance) throw fault("DBInstanceNotFoundFault", `DBInstance ${id} not found.`);
        return structuredClone(instance);
      },
      createClusterSnapshot: notUsed,
      deleteClusterSnapshot: notUsed,
      modifyCluster: notUsed,
      renameInstance: notUsed,
      deleteInstance: notUsed,
      deleteCluster: notUsed,
    };
  }
}

/** Records published entries; `delivered` turns them back into EventBridge events for the next stage. */
export class RecordingPublisher {
  readonly entries: PutEventsEntry[] = [];
  private failuresLeft = 0;

  failNext(times = 1): void {
    this.failuresLeft = times;
  }

  putEvents = async (entries: PutEventsEntry[]) => {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new AwsCallError("ServiceUnavailable", "PutEvents failed", "events");
    }
    this.entries.push(...entries);
    return {
      FailedEntryCount: 0,
      Entries: entries.map((_, i) => ({ EventId: `evt-${this.entries.length + i}` })),
    };
  };

  detailTypes(): string[] {
    return this.entries.map((e) => e.DetailType);
  }

  /** Every published event of the contract, as the stage that subscribes receives it. */
  delivered<C extends AnyDomainEventContract>(contract: C): ParsedEnvelope<DomainEventDetail<C>>[] {
    return this.entries.flatMap((entry, index) =>
      entry.DetailType === contract.detailType
        ? [contract.parseEnvelope(envelopeOf(entry, `evt-${index + 1}`))]
        : [],
    ) as ParsedEnvelope<DomainEventDetail<C>>[];
  }

  /** The one published event of the contract (fails the test when there is not exactly one). */
  only<C extends AnyDomainEventContract>(contract: C): ParsedEnvelope<DomainEventDetail<C>> {
    const events = this.delivered(contract);
    if (events.length !== 1) {
      throw new Error(
        `expected one ${contract.detailType}, got ${events.length}: ${this.detailTypes().join(", ")}`,
      );
    }
    return events[0]!;
  }
}

export function envelopeOf(entry: PutEventsEntry, id: string) {
  return {
    version: "0",
    id,
    "detail-type": entry.DetailType,
    source: entry.Source,
    account: "222222222222",
    time: (entry.Time ?? new Date(0)).toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: "us-east-1",
    resources: entry.Resources ?? [],
    detail: JSON.parse(entry.Detail) as Record<string, unknown>,
  };
}

export class CapturingLogger {
  readonly lines: { level: string; message: string; extra?: Record<string, unknown> }[] = [];
  info = (message: string, extra?: Record<string, unknown>) =>
    this.lines.push({ level: "info", message, extra });
  warn = (message: string, extra?: Record<string, unknown>) =>
    this.lines.push({ level: "warn", message, extra });
  error = (message: string, extra?: Record<string, unknown>) =>
    this.lines.push({ level: "error", message, extra });
}

export class CapturingMetrics {
  readonly counts: { name: string; value: number; dimensions?: Record<string, string> }[] = [];
  count = (name: string, value = 1, dimensions?: Record<string, string>) => {
    this.counts.push({ name, value, ...(dimensions ? { dimensions } : {}) });
  };
  durationMs = (_name: string, _ms: number) => {};
  total(name: string): number {
    return this.counts.filter((c) => c.name === name).reduce((sum, c) => sum + c.value, 0);
  }
}

/** A clock that moves only when told (and by one second per reading, so audit entries stay ordered). */
export class FakeClock {
  private ms: number;
  constructor(start = "2026-03-14T04:00:00.000Z") {
    this.ms = Date.parse(start);
  }
  now = (): Date => {
    this.ms += 1000;
    return new Date(this.ms);
  };
  advance(ms: number): void {
    this.ms += ms;
  }
  peek(): Date {
    return new Date(this.ms);
  }
}

/** The settings a restore or clone gives the cluster, as DescribeDBClusters reports them back. */
function settingsOf(input: RestoreClusterInput | CloneClusterInput): ClusterSettings {
  return {
    ...input.settings,
    ...(input.dbClusterParameterGroupName
      ? { dbClusterParameterGroupName: input.dbClusterParameterGroupName }
      : {}),
    ...(input.tags ? { tags: input.tags } : {}),
  };
}
