import { AwsCallError, type AwsErrorCode } from "../../src/ports/errors";
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
import { type CallLog, RecordingFake } from "./call-log";
import { endpointOf, keyOf, parseArn, snapshotArn } from "./fake-arns";
import type { FakeKms } from "./fake-kms";

/**
 * In-memory RDS for every stage: snapshots, clusters and instances per account and region, with statuses a
 * test moves forward (`settle`). It refuses what RDS refuses where the stages depend on it: sharing automated
 * or default-key snapshots, using a snapshot that was not shared, existing identifiers, deleting a protected
 * cluster or one that still has instances.
 */

const fault = (code: AwsErrorCode, message: string) => new AwsCallError(code, message, "rds");

export class FakeRds extends RecordingFake {
  readonly snapshots = new Map<string, ClusterSnapshot>();
  readonly clusters = new Map<string, DbCluster>();
  readonly instances = new Map<string, DbInstance>();
  /** What a master password change does to the database behind the cluster (the world wires it). */
  onPasswordChange?: (cluster: DbCluster, password: string) => void;

  constructor(
    calls: CallLog,
    private readonly kms: FakeKms,
    private readonly now: () => Date,
  ) {
    super(calls, "rds");
  }

  /** A snapshot of the source cluster (`production` unless `fields` says otherwise), available. */
  addSnapshot(where: AccountRegion, id: string, fields: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
    const snapshot: ClusterSnapshot = {
      ...where,
      identifier: id,
      arn: snapshotArn(where, id),
      clusterIdentifier: "production",
      status: "available",
      type: id.startsWith("rds:") ? "automated" : "manual",
      encrypted: true,
      engine: "aurora-postgresql",
      createdAt: this.now().toISOString(),
      sharedWith: [],
      ...fields,
    };
    this.snapshots.set(keyOf(where, id), snapshot);
    return snapshot;
  }

  /** An available cluster with available members `instanceIds`. */
  addCluster(
    where: AccountRegion,
    id: string,
    instanceIds: string[] = [],
    fields: Partial<DbCluster> = {},
  ): DbCluster {
    const cluster: DbCluster = {
      ...where,
      identifier: id,
      arn: `arn:aws:rds:${where.region}:${where.accountId}:cluster:${id}`,
      status: "available",
      engine: "aurora-postgresql",
      endpoint: endpointOf(id, where.region),
      port: 5432,
      masterUsername: "postgres",
      members: instanceIds.map((instanceIdentifier) => ({ instanceIdentifier })),
      createdAt: this.now().toISOString(),
      ...fields,
    };
    this.clusters.set(keyOf(where, id), cluster);
    for (const instanceId of instanceIds) this.addInstance(where, id, instanceId, "available");
    return cluster;
  }

  snapshot(where: AccountRegion, id: string): ClusterSnapshot | undefined {
    return this.snapshots.get(keyOf(where, id));
  }

  cluster(where: AccountRegion, id: string): DbCluster | undefined {
    return this.clusters.get(keyOf(where, id));
  }

  instance(where: AccountRegion, id: string): DbInstance | undefined {
    return this.instances.get(keyOf(where, id));
  }

  /** Moves every resource that is still busy to `available` (what time does in AWS). */
  settle(): void {
    for (const s of this.snapshots.values()) if (s.status !== "available") s.status = "available";
    for (const c of this.clusters.values()) if (c.status !== "available") c.status = "available";
    for (const i of this.instances.values()) if (i.status !== "available") i.status = "available";
  }

  private addInstance(
    where: AccountRegion,
    clusterIdentifier: string,
    id: string,
    status: string,
    fields: Partial<DbInstance> = {},
  ): DbInstance {
    const instance: DbInstance = {
      ...where,
      identifier: id,
      arn: `arn:aws:rds:${where.region}:${where.accountId}:db:${id}`,
      clusterIdentifier,
      instanceClass: "db.r6g.large",
      status,
      ...fields,
    };
    this.instances.set(keyOf(where, id), instance);
    return instance;
  }

  port(scope: AccessScope): RdsPort {
    const where = { accountId: scope.accountId, region: scope.region };
    const call = (method: string, input: unknown, detail = "") => this.record(method, scope, input, detail);
    const findSnapshot = (ref: string): ClusterSnapshot => {
      const arn = parseArn(ref);
      const id = arn ? arn.resource.replace(/^cluster-snapshot:/, "") : ref;
      const snapshot = this.snapshots.get(keyOf(arn ?? where, id));
      const visible =
        snapshot &&
        (snapshot.accountId === where.accountId || snapshot.sharedWith?.includes(where.accountId));
      if (!snapshot || !visible)
        throw fault("DBClusterSnapshotNotFoundFault", `DBClusterSnapshot ${ref} not found.`);
      return snapshot;
    };
    const mustCluster = (id: string) => {
      const cluster = this.clusters.get(keyOf(where, id));
      if (!cluster) throw fault("DBClusterNotFoundFault", `DBCluster ${id} not found.`);
      return cluster;
    };
    const mustInstance = (id: string) => {
      const instance = this.instances.get(keyOf(where, id));
      if (!instance) throw fault("DBInstanceNotFoundFault", `DBInstance ${id} not found.`);
      return instance;
    };
    const mustBeNewCluster = (id: string) => {
      if (this.clusters.has(keyOf(where, id)))
        throw fault("DBClusterAlreadyExistsFault", `DBCluster ${id} already exists.`);
    };
    const mustBeNewInstance = (id: string) => {
      if (this.instances.has(keyOf(where, id)))
        throw fault("DBInstanceAlreadyExistsFault", `DBInstance ${id} already exists.`);
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
      createClusterSnapshot: async () => {
        throw new Error("no stage takes a manual cluster snapshot; the fake has none to give");
      },
      copyClusterSnapshot: async (input) => {
        call("copyClusterSnapshot", input);
        const source = findSnapshot(input.source);
        if (this.snapshots.has(keyOf(where, input.targetIdentifier))) {
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
        const key = input.kmsKeyId ? this.kms.resolve(where, input.kmsKeyId) : undefined;
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
        if (snapshot.kmsKeyId && this.kms.keys.get(snapshot.kmsKeyId)?.keyManager === "AWS") {
          throw fault(
            "InvalidParameterValueException",
            "Snapshots encrypted with the default key cannot be shared.",
          );
        }
        snapshot.sharedWith = [...new Set([...(snapshot.sharedWith ?? []), ...input.accountIds])];
      },
      deleteClusterSnapshot: async (id) => {
        call("deleteClusterSnapshot", id, `:${where.accountId}:${id}`);
        if (!this.snapshots.delete(keyOf(where, id))) {
          throw fault("DBClusterSnapshotNotFoundFault", `DBClusterSnapshot ${id} not found.`);
        }
      },
      restoreClusterFromSnapshot: async (input) => {
        call("restoreClusterFromSnapshot", input);
        const snapshot = findSnapshot(input.snapshotIdentifier);
        mustBeNewCluster(input.clusterIdentifier);
        if (snapshot.status !== "available") {
          throw fault(
            "InvalidDBClusterSnapshotStateFault",
            `Snapshot ${snapshot.identifier} is ${snapshot.status}.`,
          );
        }
        return structuredClone(
          this.addCluster(where, input.clusterIdentifier, [], {
            status: "creating",
            ...(input.kmsKeyId ? { kmsKeyId: input.kmsKeyId } : {}),
            settings: settingsOf(input),
          }),
        );
      },
      cloneCluster: async (input) => {
        call("cloneCluster", input);
        mustCluster(input.sourceClusterIdentifier);
        mustBeNewCluster(input.clusterIdentifier);
        return structuredClone(
          this.addCluster(where, input.clusterIdentifier, [], {
            status: "creating",
            settings: settingsOf(input),
          }),
        );
      },
      createInstance: async (input) => {
        call("createInstance", input);
        const cluster = mustCluster(input.clusterIdentifier);
        mustBeNewInstance(input.instanceIdentifier);
        const instance = this.addInstance(
          where,
          input.clusterIdentifier,
          input.instanceIdentifier,
          "creating",
          {
            instanceClass: input.instanceClass,
            settings: { ...input.settings, ...(input.tags ? { tags: input.tags } : {}) },
          },
        );
        cluster.members.push({ instanceIdentifier: input.instanceIdentifier });
        return structuredClone(instance);
      },
      describeCluster: async (id) => {
        call("describeCluster", id, `:${id}`);
        return structuredClone(mustCluster(id));
      },
      describeInstance: async (id) => {
        call("describeInstance", id, `:${id}`);
        return structuredClone(mustInstance(id));
      },
      modifyCluster: async (input) => {
        const detail = input.newClusterIdentifier
          ? `:rename:${input.clusterIdentifier}->${input.newClusterIdentifier}`
          : input.deletionProtection !== undefined
            ? `:deletion-protection:${input.clusterIdentifier}:${input.deletionProtection}`
            : ":password";
        call("modifyCluster", input, detail);
        const cluster = mustCluster(input.clusterIdentifier);
        if (input.deletionProtection !== undefined) {
          cluster.settings = { ...cluster.settings, deletionProtection: input.deletionProtection };
        }
        if (input.masterUserPassword) this.onPasswordChange?.(cluster, input.masterUserPassword);
        if (input.newClusterIdentifier) {
          mustBeNewCluster(input.newClusterIdentifier);
          this.clusters.delete(keyOf(where, cluster.identifier));
          cluster.identifier = input.newClusterIdentifier;
          cluster.endpoint = endpointOf(input.newClusterIdentifier, where.region);
          for (const m of cluster.members) {
            const instance = this.instances.get(keyOf(where, m.instanceIdentifier));
            if (instance) instance.clusterIdentifier = input.newClusterIdentifier;
          }
          this.clusters.set(keyOf(where, cluster.identifier), cluster);
        }
        return structuredClone(cluster);
      },
      renameInstance: async (input) => {
        call("renameInstance", input, `:${input.instanceIdentifier}->${input.newInstanceIdentifier}`);
        const instance = mustInstance(input.instanceIdentifier);
        mustBeNewInstance(input.newInstanceIdentifier);
        this.instances.delete(keyOf(where, input.instanceIdentifier));
        instance.identifier = input.newInstanceIdentifier;
        this.instances.set(keyOf(where, instance.identifier), instance);
        const cluster = mustCluster(instance.clusterIdentifier);
        cluster.members = cluster.members.map((m) =>
          m.instanceIdentifier === input.instanceIdentifier
            ? { instanceIdentifier: input.newInstanceIdentifier }
            : m,
        );
        return structuredClone(instance);
      },
      deleteInstance: async (id) => {
        call("deleteInstance", id, `:${id}`);
        const instance = mustInstance(id);
        this.instances.delete(keyOf(where, id));
        const cluster = mustCluster(instance.clusterIdentifier);
        cluster.members = cluster.members.filter((m) => m.instanceIdentifier !== id);
      },
      deleteCluster: async (input) => {
        call("deleteCluster", input, `:${input.clusterIdentifier}`);
        const cluster = mustCluster(input.clusterIdentifier);
        if (cluster.settings?.deletionProtection) {
          // As RDS answers it.
          throw fault(
            "InvalidParameterCombinationException",
            "Cannot delete protected Cluster, please disable deletion protection and try again.",
          );
        }
        if (cluster.members.length > 0) {
          throw fault(
            "InvalidDBClusterStateFault",
            "Cluster cannot be deleted, it still contains DB instances.",
          );
        }
        this.clusters.delete(keyOf(where, input.clusterIdentifier));
        if (input.finalSnapshotIdentifier) {
          this.addSnapshot(where, input.finalSnapshotIdentifier, {
            clusterIdentifier: input.clusterIdentifier,
            type: "manual",
          });
        }
      },
    };
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
