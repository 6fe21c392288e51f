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

/**
 * A cluster's settings the pipeline keeps across a refresh (issue 10, item 7): the restored cluster takes
 * the existing target's, or the plan's. Unset: RDS's default.
 */
export interface ClusterSettings {
  deletionProtection?: boolean;
  dbClusterParameterGroupName?: string;
  /** Days (1-35). */
  backupRetentionPeriod?: number;
  iamDatabaseAuthentication?: boolean;
  /** CloudWatch Logs exports, e.g. ["postgresql"]. */
  cloudwatchLogsExports?: string[];
  tags?: Record<string, string>;
}

/** An instance's settings, kept across a refresh the same way. */
export interface InstanceSettings {
  dbParameterGroupName?: string;
  performanceInsights?: { enabled: boolean; kmsKeyId?: string; retentionPeriod?: number };
  /** Enhanced monitoring: seconds between samples (0: off) and the role RDS uses to publish them. */
  monitoringInterval?: number;
  monitoringRoleArn?: string;
  /** Never taken from an existing instance: only the plan may make an instance public. */
  publiclyAccessible?: boolean;
  tags?: Record<string, string>;
}

export interface DbInstance extends AccountRegion {
  identifier: string;
  arn: string;
  clusterIdentifier: string;
  instanceClass: string;
  /** creating | available | renaming | deleting | modifying ... */
  status: string;
  settings?: InstanceSettings;
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
  settings?: ClusterSettings;
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
  /** The rest of the cluster's settings (parameter group and tags are the fields above). */
  settings?: Omit<ClusterSettings, "dbClusterParameterGroupName" | "tags">;
}

export interface CloneClusterInput {
  clusterIdentifier: string;
  sourceClusterIdentifier: string;
  kmsKeyId?: string;
  dbSubnetGroupName?: string;
  vpcSecurityGroupIds?: string[];
  dbClusterParameterGroupName?: string;
  tags?: Record<string, string>;
  settings?: Omit<ClusterSettings, "dbClusterParameterGroupName" | "tags">;
}

export interface CreateInstanceInput {
  instanceIdentifier: string;
  clusterIdentifier: string;
  instanceClass: string;
  engine: string;
  tags?: Record<string, string>;
  /** Tags are the field above. PubliclyAccessible is always sent: false unless the plan says so. */
  settings?: Omit<InstanceSettings, "tags">;
}

export interface ModifyClusterInput {
  clusterIdentifier: string;
  masterUserPassword?: string;
  newClusterIdentifier?: string;
  /** Deletion protection (applied immediately), e.g. turned off before an old cluster is deleted. */
  deletionProtection?: boolean;
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
