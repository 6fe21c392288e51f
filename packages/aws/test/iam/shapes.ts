import { type Plan, type PlanInput, validatePlan } from "@aurora-restore/core";
import { ClusterConfigured } from "@aurora-restore/core/events/domain";
import {
  parseDeployConfig,
  resolveDeploymentWithPlans,
} from "@aurora-restore/functions/shared/deploy/config";
import { deploymentNames, permissionContextFor } from "@aurora-restore/functions/shared/deploy/names";
import type { DBCluster, DBInstance } from "@aws-sdk/client-rds";
import { AwsWorld } from "../support/aws-world";
import type { SimulatedDeployment } from "./policies";

/**
 * The plan shapes of the IAM simulation matrix (issue 10): where the source is, what kind of snapshot
 * starts the refresh and under which key, and what the target looks like. Each shape builds its own AWS
 * (support/aws-world.ts) and its own deployment configuration (a target stage, plus a source stage when
 * the source is another account), resolved by the same code `sst deploy` runs.
 */

export const PIPELINE = { accountId: "222222222222", region: "eu-west-1" } as const;
export const SOURCE_ACCOUNT = "111111111111";
export const OTHER_REGION = "us-east-1";
export const STAGE = "production";
export const SOURCE_STAGE = "source-prod";
export const TARGET = "orders-staging";
export const SOURCE_CLUSTER = "orders-prod";

export interface ShapeSpec {
  name: string;
  source: { accountId: string; region: string };
  snapshot: { type: "automated" | "manual"; key: "aws/rds" | "customer" };
  target?: Partial<PlanInput["targets"][number]>;
  compliance?: "default" | "pci" | "hipaa";
  /**
   * The live target before the refresh: its instances (none: the first refresh), deletion protection, and
   * the settings the refresh must keep (item 7: parameter groups, monitoring, Performance Insights, tags...).
   */
  existing?: {
    instances: string[];
    deletionProtection?: boolean;
    secrets?: boolean;
    settings?: { cluster?: Partial<DBCluster>; instance?: Partial<DBInstance> };
  };
  checksPass?: boolean;
  /** Something that goes wrong on the way (an injected failure). */
  inject?: (world: AwsWorld) => void;
  /** How the operation ends, and with which error code when it fails. */
  ends: "completed" | "failed";
  errorCode?: string;
}

export const shapes: ShapeSpec[] = [
  {
    name: "same account and region, automated snapshot (0169) under a customer key",
    source: PIPELINE,
    snapshot: { type: "automated", key: "customer" },
    existing: { instances: [`${TARGET}-1`, `${TARGET}-2`], secrets: true },
    ends: "completed",
  },
  {
    name: "same account, other region",
    source: { accountId: PIPELINE.accountId, region: OTHER_REGION },
    snapshot: { type: "automated", key: "customer" },
    existing: { instances: [`${TARGET}-instance-1`], secrets: true },
    ends: "completed",
  },
  {
    name: "other account, same region, automated snapshot (0169) under aws/rds, PCI",
    source: { accountId: SOURCE_ACCOUNT, region: PIPELINE.region },
    snapshot: { type: "automated", key: "aws/rds" },
    compliance: "pci",
    existing: { instances: [`${TARGET}-1`], secrets: true },
    ends: "completed",
  },
  {
    name: "other account, same region, automated snapshot (0169) under a customer key",
    source: { accountId: SOURCE_ACCOUNT, region: PIPELINE.region },
    snapshot: { type: "automated", key: "customer" },
    existing: { instances: [`${TARGET}-1`] },
    ends: "completed",
  },
  {
    name: "other account and region, two hops",
    source: { accountId: SOURCE_ACCOUNT, region: OTHER_REGION },
    snapshot: { type: "automated", key: "aws/rds" },
    target: { copyMode: "two-hop" },
    existing: { instances: [`${TARGET}-1`], secrets: true },
    ends: "completed",
  },
  {
    name: "other account and region, one hop",
    source: { accountId: SOURCE_ACCOUNT, region: OTHER_REGION },
    snapshot: { type: "automated", key: "aws/rds" },
    target: { copyMode: "single-hop" },
    compliance: "hipaa",
    ends: "completed",
  },
  {
    name: "clone (same account and region), first refresh",
    source: PIPELINE,
    snapshot: { type: "automated", key: "customer" },
    target: { restoreMethod: "clone" },
    ends: "completed",
  },
  {
    name: "manual snapshot (0075), same account",
    source: PIPELINE,
    snapshot: { type: "manual", key: "customer" },
    existing: { instances: [`${TARGET}-1`], secrets: true },
    ends: "completed",
  },
  {
    // Item 2: prepare copies a person's manual snapshot to the pipeline's own shareable copy and shares that;
    // production's snapshot keeps its attributes, and copy never needs production's own key.
    name: "manual snapshot (0075), other account",
    source: { accountId: SOURCE_ACCOUNT, region: PIPELINE.region },
    snapshot: { type: "manual", key: "customer" },
    existing: { instances: [`${TARGET}-1`] },
    ends: "completed",
  },
  {
    name: "final snapshot on delete",
    source: PIPELINE,
    snapshot: { type: "automated", key: "customer" },
    target: { finalSnapshotOnDelete: true },
    existing: { instances: [`${TARGET}-1`, `${TARGET}-2`], secrets: true },
    ends: "completed",
  },
  {
    // Item 7: the refresh keeps the target's settings (taken from the existing target), and the replaced
    // cluster is unprotected before it is deleted.
    name: "old cluster with deletion protection, and the target's settings kept",
    source: { accountId: SOURCE_ACCOUNT, region: PIPELINE.region },
    snapshot: { type: "automated", key: "aws/rds" },
    existing: {
      instances: [`${TARGET}-1`],
      deletionProtection: true,
      secrets: true,
      settings: {
        cluster: {
          DBClusterParameterGroup: "orders-staging-cluster-params",
          BackupRetentionPeriod: 14,
          IAMDatabaseAuthenticationEnabled: true,
          EnabledCloudwatchLogsExports: ["postgresql"],
          TagList: [{ Key: "team", Value: "orders" }],
        },
        instance: {
          DBParameterGroups: [
            { DBParameterGroupName: "orders-staging-params", ParameterApplyStatus: "in-sync" },
          ],
          PerformanceInsightsEnabled: true,
          PerformanceInsightsRetentionPeriod: 7,
          MonitoringInterval: 60,
          MonitoringRoleArn: `arn:aws:iam::${PIPELINE.accountId}:role/rds-monitoring-role`,
          PubliclyAccessible: true,
          TagList: [{ Key: "team", Value: "orders" }],
        },
      },
    },
    ends: "completed",
  },
  {
    name: "failed verify (the target is left as it was)",
    source: { accountId: SOURCE_ACCOUNT, region: PIPELINE.region },
    snapshot: { type: "automated", key: "aws/rds" },
    compliance: "pci",
    existing: { instances: [`${TARGET}-1`], secrets: true },
    checksPass: false,
    ends: "failed",
    errorCode: "VerificationFailed",
  },
  {
    // Item 7: the -next cluster took the target's deletion protection; cleanup unprotects it to delete it.
    name: "failed verify of a protected target (cleanup unprotects and deletes -next)",
    source: PIPELINE,
    snapshot: { type: "automated", key: "customer" },
    existing: { instances: [`${TARGET}-1`], deletionProtection: true, secrets: true },
    checksPass: false,
    ends: "failed",
    errorCode: "VerificationFailed",
  },
  {
    name: "cutover fails moving the new cluster in and rolls back",
    source: PIPELINE,
    snapshot: { type: "automated", key: "customer" },
    existing: { instances: [`${TARGET}-1`], secrets: true },
    inject: (world) =>
      world.failNext(
        "ModifyDBCluster",
        (input) => input.DBClusterIdentifier === `${TARGET}-next` && input.NewDBClusterIdentifier === TARGET,
      ),
    ends: "failed",
    errorCode: "InvalidDBClusterStateFault",
  },
  {
    name: "ClusterConfigured lost after its transition: the watcher publishes it again",
    source: PIPELINE,
    snapshot: { type: "automated", key: "customer" },
    existing: { instances: [`${TARGET}-1`], secrets: true },
    inject: (world) => world.refusePublish(ClusterConfigured.detailType, 3),
    ends: "completed",
  },
];

/** A shape the current pipeline cannot pass yet: kept out of the matrix, run as an expected failure. */
export const pendingShapes: (ShapeSpec & { issueItem: number; why: string; deniedAt: RegExp })[] = [];

export interface BuiltShape {
  world: AwsWorld;
  deployment: SimulatedDeployment;
  plan: Plan;
  snapshotArn: string;
}

const keyArn = (account: string, region: string, id: string) => `arn:aws:kms:${region}:${account}:key/${id}`;

export function targetKeyArn(): string {
  return keyArn(PIPELINE.accountId, PIPELINE.region, "target-key");
}

export function buildShape(spec: ShapeSpec): BuiltShape {
  const world = new AwsWorld();
  const { source } = spec;
  const crossAccount = source.accountId !== PIPELINE.accountId;
  const targetKey = world.addKey(targetKeyArn());
  const stageKey = world.addKey(keyArn(PIPELINE.accountId, PIPELINE.region, "stage-key"), "CUSTOMER", [
    deploymentNames(STAGE).keyAlias,
  ]);
  const productionKey =
    spec.snapshot.key === "aws/rds"
      ? world.awsRdsKey(source.accountId, source.region)
      : world.addKey(keyArn(source.accountId, source.region, "production-key"));
  const shareKey = crossAccount
    ? world.addKey(keyArn(source.accountId, source.region, "share-key"))
    : undefined;

  world.addCluster(source, SOURCE_CLUSTER, { kmsKeyId: productionKey, instances: [`${SOURCE_CLUSTER}-1`] });
  const snapshotId =
    spec.snapshot.type === "automated"
      ? `rds:${SOURCE_CLUSTER}-2026-03-14-03-00`
      : `${SOURCE_CLUSTER}-before-release`;
  const snapshotArn = world.addSnapshot(source, snapshotId, {
    DBClusterIdentifier: SOURCE_CLUSTER,
    SnapshotType: spec.snapshot.type,
    KmsKeyId: productionKey,
  });

  const compliance = spec.compliance ?? "default";
  const secretKey = compliance === "default" ? undefined : targetKey;
  if (spec.existing) {
    world.addCluster(PIPELINE, TARGET, {
      kmsKeyId: targetKey,
      instances: spec.existing.instances,
      deletionProtection: spec.existing.deletionProtection ?? false,
      ...(spec.existing.settings ? { settings: spec.existing.settings } : {}),
    });
    if (spec.existing.secrets) {
      const value = {
        username: "postgres",
        password: "old",
        host: `${TARGET}.cluster-xyz`,
        port: 5432,
        dbname: "orders",
      };
      world.addSecret(PIPELINE, `aurora-restore/${TARGET}/master`, value, secretKey);
      world.addSecret(
        PIPELINE,
        `aurora-restore/${TARGET}/orders_app`,
        { ...value, username: "orders_app" },
        secretKey,
      );
    }
  }

  const sourceRole = `arn:aws:iam::${source.accountId}:role/${deploymentNames(SOURCE_STAGE).sourceAccessRole}`;
  const plan = validatePlan({
    id: "orders-staging",
    source: {
      ...source,
      clusterIdentifier: SOURCE_CLUSTER,
      ...(crossAccount ? { roleArn: sourceRole, shareableKmsKeyId: shareKey } : {}),
    },
    targets: [
      {
        ...PIPELINE,
        clusterIdentifier: TARGET,
        kmsKeyId: targetKey,
        network: { dbSubnetGroupName: "staging-databases", vpcSecurityGroupIds: ["sg-0a1b2c3d4e5f60718"] },
        instances: { instanceClass: "db.r6g.large", count: 2 },
        masterSecretName: `aurora-restore/${TARGET}/master`,
        applicationUsers: [
          {
            username: "orders_app",
            secretName: `aurora-restore/${TARGET}/orders_app`,
            grants: [{ privileges: ["SELECT"], schema: "public" }],
          },
        ],
        postRestoreSql: [{ name: "mask", sql: "UPDATE customers SET email = 'x@example.invalid'" }],
        checks: [
          { type: "table-exists", name: "orders table", table: "orders" },
          { type: "row-count", name: "orders are there", table: "orders", min: 1 },
        ],
        ...spec.target,
      },
    ],
    trigger: { type: "every-snapshot", snapshotTypes: [spec.snapshot.type] },
    compliance,
    notificationTopicArn: permissionContextFor({ stage: STAGE, partition: "aws", ...PIPELINE }, []).topicArn,
  });
  world.encryptTopic(plan.notificationTopicArn, stageKey);

  const stages: Record<string, unknown> = {
    [STAGE]: { kind: "target", ...PIPELINE, plans: ["orders-staging.json"] },
  };
  if (crossAccount) {
    stages[SOURCE_STAGE] = {
      kind: "source",
      ...source,
      plans: ["orders-staging.json"],
      target: { stage: STAGE, ...PIPELINE },
    };
  }
  const config = parseDeployConfig(JSON.stringify({ stages }), `${spec.name} (deploy configuration)`);
  const target = resolveDeploymentWithPlans(config, STAGE, [plan], "matrix");
  if (target.kind !== "target") throw new Error("the pipeline's stage is a target stage");
  const sources = crossAccount ? [resolveDeploymentWithPlans(config, SOURCE_STAGE, [plan], "matrix")] : [];
  spec.inject?.(world);
  return {
    world,
    deployment: {
      target,
      sources: sources.filter((s): s is typeof s & { kind: "source" } => s.kind === "source"),
    },
    plan,
    snapshotArn,
  };
}
