import type { AccountRegion } from "./location";

export type SnapshotType = "automated" | "manual" | "shared";

export interface ClusterSnapshot extends AccountRegion {
  identifier: string;
  arn: string;
  clusterIdentifier: string;
  /** RDS statuses: creating | available | copying | deleting | failed. */
  status: string;
  type: SnapshotType;
  encrypted: boolean;
  /** Full key ARN. */
  kmsKeyId?: string;
  engine: string;
  engineVersion?: string;
  createdAt?: string;
  percentProgress?: number;
  /** Accounts the snapshot is shared with (ModifyDBClusterSnapshotAttribute "restore"). */
  sharedWith?: string[];
}

export interface DbInstance extends AccountRegion {
  identifier: string;
  arn: string;
  clusterIdentifier: string;
  instanceClass: string;
  /** creating | available | renaming | deleting | modifying ... */
  status: string;
}

export interface DbCluster extends AccountRegion {
  identifier: string;
  arn: string;
  /** creating | available | renaming | resetting-master-credentials | modifying | deleting | failed ... */
  status: string;
  engine: string;
  engineVersion?: string;
  endpoint?: string;
  port?: number;
  masterUsername: string;
  kmsKeyId?: string;
  members: { instanceIdentifier: string }[];
  createdAt?: string;
}

export interface CopySnapshotInput {
  /** Identifier in this account and region, or an ARN (shared or cross-region source). */
  source: string;
  targetIdentifier: string;
  /** Key in the destination account and region; required for shared encrypted or cross-region sources. */
  kmsKeyId?: string;
  /** Region of the source snapshot when it differs from this client's (the SDK presigns). */
  sourceRegion?: string;
  copyTags?: boolean;
  tags?: Record<string, string>;
}

export interface RestoreClusterInput {
  clusterIdentifier: string;
  /** Identifier or ARN (ARN when shared). */
  snapshotIdentifier: string;
  engine: string;
  engineVersion?: string;
  kmsKeyId?: string;
  dbSubnetGroupName?: string;
  vpcSecurityGroupIds?: string[];
  dbClusterParameterGroupName?: string;
  tags?: Record<string, string>;
}

export interface CloneClusterInput {
  clusterIdentifier: string;
  sourceClusterIdentifier: string;
  kmsKeyId?: string;
  dbSubnetGroupName?: string;
  vpcSecurityGroupIds?: string[];
  dbClusterParameterGroupName?: string;
  tags?: Record<string, string>;
}

export interface CreateInstanceInput {
  instanceIdentifier: string;
  clusterIdentifier: string;
  instanceClass: string;
  engine: string;
  tags?: Record<string, string>;
}

export interface ModifyClusterInput {
  clusterIdentifier: string;
  masterUserPassword?: string;
  newClusterIdentifier?: string;
}

/**
 * The RDS calls the pipeline makes, bound to one account and region. Implementations: the AWS SDK adapter
 * and the local RDS on real PostgreSQL. Failures throw AwsCallError with the RDS error name.
 */
export interface RdsPort {
  readonly location: AccountRegion;
  describeCluster(clusterIdentifier: string): Promise<DbCluster>;
  describeInstance(instanceIdentifier: string): Promise<DbInstance>;
  describeClusterSnapshot(identifierOrArn: string): Promise<ClusterSnapshot>;
  /** Snapshots of one cluster in this account and region, newest first. */
  listClusterSnapshots(input: { clusterIdentifier: string; type?: SnapshotType }): Promise<ClusterSnapshot[]>;
  createClusterSnapshot(input: {
    clusterIdentifier: string;
    snapshotIdentifier: string;
    tags?: Record<string, string>;
  }): Promise<ClusterSnapshot>;
  copyClusterSnapshot(input: CopySnapshotInput): Promise<ClusterSnapshot>;
  shareClusterSnapshot(input: { snapshotIdentifier: string; accountIds: string[] }): Promise<void>;
  deleteClusterSnapshot(snapshotIdentifier: string): Promise<void>;
  restoreClusterFromSnapshot(input: RestoreClusterInput): Promise<DbCluster>;
  cloneCluster(input: CloneClusterInput): Promise<DbCluster>;
  createInstance(input: CreateInstanceInput): Promise<DbInstance>;
  /** Always applied immediately. */
  modifyCluster(input: ModifyClusterInput): Promise<DbCluster>;
  renameInstance(input: { instanceIdentifier: string; newInstanceIdentifier: string }): Promise<DbInstance>;
  deleteInstance(instanceIdentifier: string): Promise<void>;
  deleteCluster(input: { clusterIdentifier: string; finalSnapshotIdentifier?: string }): Promise<void>;
}
