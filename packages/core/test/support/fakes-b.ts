import { AwsCallError, type AwsErrorCode } from "../../src/ports/errors";
import type { PutEventsEntry } from "../../src/ports/events";
import type { AccessScope, AccountRegion } from "../../src/ports/location";
import type { ClusterSnapshot, DbCluster, DbInstance, RdsPort } from "../../src/ports/rds";
import type { SecretsPort } from "../../src/ports/secrets";

/** In-memory RDS, Secrets Manager, SNS and EventBridge for stage tests (configure/verify/cutover/notify/cleanup). */

/** Every call the fakes receive, in order, so tests can assert ordering across services. */
export type CallLog = string[];

const keyOf = (where: AccountRegion, id: string) => `${where.accountId}/${where.region}/${id}`;
const fault = (code: AwsErrorCode, message: string, service: "rds" | "secretsmanager" = "rds") =>
  new AwsCallError(code, message, service);

export function endpointOf(clusterIdentifier: string, region: string): string {
  return `${clusterIdentifier}.cluster-fake.${region}.rds.amazonaws.com`;
}

export class FakeRds {
  readonly clusters = new Map<string, DbCluster>();
  readonly instances = new Map<string, DbInstance>();
  readonly snapshots = new Map<string, ClusterSnapshot>();
  /** Throw from a call: return an error to make `method` fail for that input. */
  failWith?: (method: string, input: unknown) => Error | undefined;
  onPasswordChange?: (cluster: DbCluster, password: string) => void;

  constructor(readonly calls: CallLog) {}

  addCluster(
    where: AccountRegion,
    id: string,
    instanceIds: string[],
    masterUsername = "postgres",
  ): DbCluster {
    const cluster: DbCluster = {
      ...where,
      identifier: id,
      arn: `arn:aws:rds:${where.region}:${where.accountId}:cluster:${id}`,
      status: "available",
      engine: "aurora-postgresql",
      endpoint: endpointOf(id, where.region),
      port: 5432,
      masterUsername,
      members: instanceIds.map((instanceIdentifier) => ({ instanceIdentifier })),
    };
    this.clusters.set(keyOf(where, id), cluster);
    for (const instanceId of instanceIds) {
      this.instances.set(keyOf(where, instanceId), {
        ...where,
        identifier: instanceId,
        arn: `arn:aws:rds:${where.region}:${where.accountId}:db:${instanceId}`,
        clusterIdentifier: id,
        instanceClass: "db.r6g.large",
        status: "available",
      });
    }
    return cluster;
  }

  addSnapshot(where: AccountRegion, id: string): void {
    this.snapshots.set(keyOf(where, id), {
      ...where,
      identifier: id,
      arn: `arn:aws:rds:${where.region}:${where.accountId}:cluster-snapshot:${id}`,
      clusterIdentifier: "production",
      status: "available",
      type: "manual",
      encrypted: true,
      engine: "aurora-postgresql",
    });
  }

  cluster(where: AccountRegion, id: string): DbCluster | undefined {
    return this.clusters.get(keyOf(where, id));
  }

  port(scope: AccessScope): RdsPort {
    const where = { accountId: scope.accountId, region: scope.region };
    const call = (method: string, input: unknown, detail = "") => {
      this.calls.push(`rds.${method}${detail}`);
      const error = this.failWith?.(method, input);
      if (error) throw error;
    };
    const mustCluster = (id: string) => {
      const cluster = this.clusters.get(keyOf(where, id));
      if (!cluster) throw fault("DBClusterNotFoundFault", `DBCluster ${id} not found.`);
      return cluster;
    };
    const notUsed = () => {
      throw new Error("not used by these stages");
    };
    return {
      location: where,
      describeCluster: async (id) => {
        call("describeCluster", id, `:${id}`);
        return structuredClone(mustCluster(id));
      },
      describeInstance: async (id) => {
        call("describeInstance", id, `:${id}`);
        const instance = this.instances.get(keyOf(where, id));
        if (!instance) throw fault("DBInstanceNotFoundFault", `DBInstance ${id} not found.`);
        return structuredClone(instance);
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
          if (this.clusters.has(keyOf(where, input.newClusterIdentifier))) {
            throw fault(
              "DBClusterAlreadyExistsFault",
              `DBCluster ${input.newClusterIdentifier} already exists.`,
            );
          }
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
        const instance = this.instances.get(keyOf(where, input.instanceIdentifier));
        if (!instance)
          throw fault("DBInstanceNotFoundFault", `DBInstance ${input.instanceIdentifier} not found.`);
        if (this.instances.has(keyOf(where, input.newInstanceIdentifier))) {
          throw fault(
            "DBInstanceAlreadyExistsFault",
            `DBInstance ${input.newInstanceIdentifier} already exists.`,
          );
        }
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
        const instance = this.instances.get(keyOf(where, id));
        if (!instance) throw fault("DBInstanceNotFoundFault", `DBInstance ${id} not found.`);
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
        if (input.finalSnapshotIdentifier) this.addSnapshot(where, input.finalSnapshotIdentifier);
      },
      deleteClusterSnapshot: async (id) => {
        call("deleteClusterSnapshot", id, `:${where.accountId}:${id}`);
        if (!this.snapshots.delete(keyOf(where, id))) {
          throw fault("DBClusterSnapshotNotFoundFault", `DBClusterSnapshot ${id} not found.`);
        }
      },
      describeClusterSnapshot: notUsed,
      listClusterSnapshots: notUsed,
      createClusterSnapshot: notUsed,
      copyClusterSnapshot: notUsed,
      shareClusterSnapshot: notUsed,
      restoreClusterFromSnapshot: notUsed,
      cloneCluster: notUsed,
      createInstance: notUsed,
    };
  }
}

interface StoredSecret {
  name: string;
  arn: string;
  versions: { versionId: string; value: string; stages: string[] }[];
}

export class FakeSecrets {
  readonly secrets = new Map<string, StoredSecret>();
  failWith?: (method: string, input: unknown) => Error | undefined;
  constructor(readonly calls: CallLog) {}

  /** The current value, parsed (tests only: stages never print it). */
  current(name: string): Record<string, unknown> | undefined {
    return this.staged(name, "AWSCURRENT");
  }

  /** The value holding `stage` (AWSPENDING, AWSPREVIOUS), parsed; undefined when no version holds it. */
  staged(name: string, stage: string): Record<string, unknown> | undefined {
    const secret = [...this.secrets.values()].find((s) => s.name === name || s.arn === name);
    const value = secret?.versions.find((v) => v.stages.includes(stage))?.value;
    return value === undefined ? undefined : (JSON.parse(value) as Record<string, unknown>);
  }

  /** Seeds a secret as an earlier refresh left it: one AWSCURRENT version. */
  seed(scope: AccessScope, name: string, value: Record<string, unknown>): void {
    const arn = `arn:aws:secretsmanager:${scope.region}:${scope.accountId}:secret:${name}-AbCdEf`;
    this.secrets.set(arn, {
      name,
      arn,
      versions: [{ versionId: `seed-${name}`, value: JSON.stringify(value), stages: ["AWSCURRENT"] }],
    });
  }

  port(scope: AccessScope): SecretsPort {
    const where = { accountId: scope.accountId, region: scope.region };
    const find = (id: string) => {
      const secret = [...this.secrets.values()].find(
        (s) => s.arn === id || (s.name === id && s.arn.includes(`:${where.region}:${where.accountId}:`)),
      );
      if (!secret)
        throw fault("ResourceNotFoundException", `Secrets Manager can't find ${id}.`, "secretsmanager");
      return secret;
    };
    const check = (method: string, input: unknown, detail: string) => {
      this.calls.push(`secrets.${method}:${detail}`);
      const error = this.failWith?.(method, input);
      if (error) throw error;
    };
    let version = 0;
    const nextVersion = () => `v${++version}-${Math.random().toString(36).slice(2, 8)}`;
    return {
      location: where,
      createSecret: async (input) => {
        check("createSecret", input, input.name);
        const arn = `arn:aws:secretsmanager:${where.region}:${where.accountId}:secret:${input.name}-AbCdEf`;
        if (this.secrets.has(arn)) {
          throw fault(
            "ResourceExistsException",
            `The secret ${input.name} already exists.`,
            "secretsmanager",
          );
        }
        const versionId = input.clientRequestToken ?? nextVersion();
        this.secrets.set(arn, {
          name: input.name,
          arn,
          versions: [{ versionId, value: input.secretString, stages: ["AWSCURRENT"] }],
        });
        return { arn, name: input.name, versionId };
      },
      putSecretValue: async (input) => {
        const stages = input.versionStages ?? ["AWSCURRENT"];
        check("putSecretValue", input, `${input.secretId}:${stages.join(",")}`);
        const secret = find(input.secretId);
        const token = input.clientRequestToken;
        const same = token === undefined ? undefined : secret.versions.find((v) => v.versionId === token);
        if (same) {
          // As AWS: the same token and value is ignored; another value is refused.
          if (same.value === input.secretString) return { arn: secret.arn, versionId: same.versionId };
          throw fault("ResourceExistsException", `Version ${token} holds another value.`, "secretsmanager");
        }
        const movesCurrent = stages.includes("AWSCURRENT");
        for (const v of secret.versions) {
          const wasCurrent = v.stages.includes("AWSCURRENT");
          v.stages = v.stages.filter((x) => !stages.includes(x) && !(movesCurrent && x === "AWSPREVIOUS"));
          if (movesCurrent && wasCurrent) v.stages.push("AWSPREVIOUS");
        }
        const versionId = token ?? nextVersion();
        secret.versions.push({ versionId, value: input.secretString, stages: [...stages] });
        secret.versions = secret.versions.filter((v) => v.stages.length > 0);
        return { arn: secret.arn, versionId };
      },
      getSecretValue: async (input) => {
        check("getSecretValue", input, input.secretId);
        const secret = find(input.secretId);
        const stage = input.versionStage ?? "AWSCURRENT";
        const v =
          input.versionId === undefined
            ? secret.versions.find((x) => x.stages.includes(stage))
            : secret.versions.find((x) => x.versionId === input.versionId);
        if (!v) {
          throw fault(
            "ResourceNotFoundException",
            `No ${input.versionId ?? stage} version.`,
            "secretsmanager",
          );
        }
        return { arn: secret.arn, name: secret.name, versionId: v.versionId, secretString: v.value };
      },
      describeSecret: async (id) => {
        check("describeSecret", id, id);
        const secret = find(id);
        return {
          arn: secret.arn,
          name: secret.name,
          versions: Object.fromEntries(secret.versions.map((v) => [v.versionId, [...v.stages]])),
        };
      },
      // Removing a label only (what the stages do); moving one is the local Secrets Manager's business.
      updateSecretVersionStage: async (input) => {
        check("updateSecretVersionStage", input, `${input.secretId}:${input.versionStage}`);
        const secret = find(input.secretId);
        const holder = secret.versions.find((v) => v.stages.includes(input.versionStage));
        if (
          !holder ||
          input.moveToVersionId !== undefined ||
          holder.versionId !== input.removeFromVersionId
        ) {
          throw fault(
            "InvalidParameterException",
            `${input.versionStage} is not attached to version ${input.removeFromVersionId}.`,
            "secretsmanager",
          );
        }
        holder.stages = holder.stages.filter((x) => x !== input.versionStage);
        secret.versions = secret.versions.filter((v) => v.stages.length > 0);
      },
    };
  }
}

export class FakeSns {
  readonly published: {
    topicArn: string;
    subject: string;
    message: string;
    attributes?: Record<string, string>;
  }[] = [];
  publish = async (input: FakeSns["published"][number]) => {
    this.published.push(input);
    return { messageId: `msg-${this.published.length}` };
  };
}

export class FakePublisher {
  readonly entries: PutEventsEntry[] = [];
  putEvents = async (entries: PutEventsEntry[]) => {
    this.entries.push(...entries);
    return {
      FailedEntryCount: 0,
      Entries: entries.map((_, i) => ({ EventId: `evt-${this.entries.length + i}` })),
    };
  };
  /** Published events of one detail-type, as EventBridge would deliver them (envelope around the detail). */
  delivered(detailType: string) {
    return this.entries
      .filter((e) => e.DetailType === detailType)
      .map((e, i) => ({
        version: "0",
        id: `${detailType}-${i + 1}`,
        "detail-type": e.DetailType,
        source: e.Source,
        account: "222222222222",
        time: (e.Time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z"),
        region: "eu-west-1",
        resources: e.Resources ?? [],
        detail: JSON.parse(e.Detail) as Record<string, unknown>,
      }));
  }
}

export class RecordingLogger {
  readonly lines: string[] = [];
  private write = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    this.lines.push(`${level} ${message} ${JSON.stringify(extra ?? {})}`);
  };
  info = this.write("INFO");
  warn = this.write("WARN");
  error = this.write("ERROR");
}
