import type { AccessScope } from "@aurora-restore/core/ports/index";
import type { DBCluster, DBClusterSnapshot, DBInstance } from "@aws-sdk/client-rds";

export const prod: AccessScope = { accountId: "111111111111", region: "us-east-1" };
export const staging: AccessScope = {
  accountId: "222222222222",
  region: "eu-west-1",
  roleArn: "arn:aws:iam::222222222222:role/aurora-restore",
};

export const stagingKey = "arn:aws:kms:eu-west-1:222222222222:key/11111111-2222-3333-4444-555555555555";

export function sdkSnapshot(overrides: Partial<DBClusterSnapshot> = {}): DBClusterSnapshot {
  const id = overrides.DBClusterSnapshotIdentifier ?? "orders-2026-01-01";
  return {
    DBClusterSnapshotIdentifier: id,
    DBClusterSnapshotArn: `arn:aws:rds:us-east-1:111111111111:cluster-snapshot:${id}`,
    DBClusterIdentifier: "orders",
    Status: "available",
    SnapshotType: "manual",
    StorageEncrypted: true,
    KmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/aaaa",
    Engine: "aurora-postgresql",
    EngineVersion: "17.4",
    SnapshotCreateTime: new Date("2026-01-01T03:00:00Z"),
    PercentProgress: 100,
    ...overrides,
  };
}

export function sdkCluster(overrides: Partial<DBCluster> = {}): DBCluster {
  const id = overrides.DBClusterIdentifier ?? "orders-staging";
  return {
    DBClusterIdentifier: id,
    DBClusterArn: `arn:aws:rds:eu-west-1:222222222222:cluster:${id}`,
    Status: "creating",
    Engine: "aurora-postgresql",
    EngineVersion: "17.4",
    Endpoint: `${id}.cluster-abc.eu-west-1.rds.amazonaws.com`,
    Port: 5432,
    MasterUsername: "postgres",
    KmsKeyId: stagingKey,
    DBClusterMembers: [{ DBInstanceIdentifier: `${id}-1`, IsClusterWriter: true }],
    ClusterCreateTime: new Date("2026-01-02T00:00:00Z"),
    ...overrides,
  };
}

export function sdkInstance(overrides: Partial<DBInstance> = {}): DBInstance {
  const id = overrides.DBInstanceIdentifier ?? "orders-staging-1";
  return {
    DBInstanceIdentifier: id,
    DBInstanceArn: `arn:aws:rds:eu-west-1:222222222222:db:${id}`,
    DBClusterIdentifier: "orders-staging",
    DBInstanceClass: "db.r6g.large",
    DBInstanceStatus: "creating",
    ...overrides,
  };
}

/** An error shaped as the SDK builds one for a code it has no class for. */
export function sdkError(name: string, message = "failed", httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });
}
