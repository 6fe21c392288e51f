import { describe, expect, test } from "vitest";
import { ClusterAvailable, ClusterCreated, RestoreFailed } from "../../src/events/domain";
import { AwsCallError } from "../../src/ports/errors";
import { onClusterCreated, onCopyCompleted } from "../../src/stages/restore";
import { checkWatches } from "../../src/stages/watcher";
import { useDynalite } from "../support/dynalite";
import { createWorld, keys, makePlan, targetLocation } from "../support/world";
import { untilCopyCompleted } from "./chain";

const backend = useDynalite();

describe("restore", () => {
  test("restores under the temporary name with the plan's network, parameter group and key, then creates the instances", async () => {
    const w = await createWorld(backend());
    const { operationId, event } = await untilCopyCompleted(w);
    await onCopyCompleted(w.deps, event);

    const [restore] = w.rds.callsOf("restoreClusterFromSnapshot");
    expect(restore?.scope).toEqual(targetLocation);
    expect(restore?.input).toEqual({
      clusterIdentifier: "staging-next",
      snapshotIdentifier: event.detail.snapshot.identifier,
      engine: "aurora-postgresql",
      kmsKeyId: keys.target,
      dbSubnetGroupName: "staging-subnets",
      vpcSecurityGroupIds: ["sg-0abc123"],
      dbClusterParameterGroupName: "staging-params",
      tags: { "aurora-restore:operation": operationId },
    });
    expect(await w.store.get(operationId)).toMatchObject({
      step: "restoring",
      // The instances the second run creates and cutover renames, recorded with the claim.
      outputs: { nextClusterId: "staging-next", nextInstances: ["staging-next-1", "staging-next-2"] },
    });

    w.rds.settle();
    await checkWatches(w.deps, "tick-cluster");
    await onClusterCreated(w.deps, w.publisher.only(ClusterCreated));
    expect(w.rds.callsOf("createInstance").map((c) => c.input)).toEqual([
      expect.objectContaining({
        instanceIdentifier: "staging-next-1",
        clusterIdentifier: "staging-next",
        instanceClass: "db.r6g.large",
      }),
      expect.objectContaining({
        instanceIdentifier: "staging-next-2",
        clusterIdentifier: "staging-next",
      }),
    ]);
    expect((await w.store.get(operationId))?.step).toBe("creating-instances");

    // One instance is still creating: no ClusterAvailable yet.
    w.rds.instance(targetLocation, "staging-next-1")!.status = "available";
    await checkWatches(w.deps, "tick-one-ready");
    expect(w.publisher.delivered(ClusterAvailable)).toHaveLength(0);
    w.rds.settle();
    await checkWatches(w.deps, "tick-all-ready");
    expect(w.publisher.only(ClusterAvailable).detail).toMatchObject({
      endpoint: { host: "staging-next.cluster-fake.eu-west-1.rds.amazonaws.com" },
      // Found by the watcher's describe: configure logs in as it without a describe of its own.
      masterUsername: "postgres",
    });
  });

  test("the restored cluster and instances take the existing target's settings (item 7); instances are never public unless the plan says so", async () => {
    const w = await createWorld(backend());
    const monitoringRole = "arn:aws:iam::222222222222:role/rds-monitoring";
    w.rds.addCluster(targetLocation, "staging", [], {
      members: [{ instanceIdentifier: "staging-1" }],
      settings: {
        deletionProtection: true,
        dbClusterParameterGroupName: "target-cluster-params",
        backupRetentionPeriod: 14,
        iamDatabaseAuthentication: true,
        cloudwatchLogsExports: ["postgresql"],
        tags: { team: "orders", "aws:cloudformation:stack-name": "db", "aurora-restore:operation": "op-old" },
      },
    });
    w.rds.instances.set(`${targetLocation.accountId}/${targetLocation.region}/staging-1`, {
      ...targetLocation,
      identifier: "staging-1",
      arn: "arn:aws:rds:eu-west-1:222222222222:db:staging-1",
      clusterIdentifier: "staging",
      instanceClass: "db.r6g.large",
      status: "available",
      settings: {
        dbParameterGroupName: "target-instance-params",
        performanceInsights: { enabled: true, retentionPeriod: 7, kmsKeyId: keys.target },
        monitoringInterval: 60,
        monitoringRoleArn: monitoringRole,
        publiclyAccessible: true,
        tags: { team: "orders" },
      },
    });
    const { operationId, event } = await untilCopyCompleted(w);
    await onCopyCompleted(w.deps, event);

    const [restore] = w.rds.callsOf("restoreClusterFromSnapshot");
    expect(restore?.input).toMatchObject({
      clusterIdentifier: "staging-next",
      // The plan names a cluster parameter group: the plan's comes first.
      dbClusterParameterGroupName: "staging-params",
      tags: { team: "orders", "aurora-restore:operation": operationId },
      settings: {
        deletionProtection: true,
        backupRetentionPeriod: 14,
        iamDatabaseAuthentication: true,
        cloudwatchLogsExports: ["postgresql"],
      },
    });

    w.rds.settle();
    await checkWatches(w.deps, "tick-cluster");
    await onClusterCreated(w.deps, w.publisher.only(ClusterCreated));
    const created = w.rds.callsOf("createInstance").map((c) => c.input);
    expect(created).toHaveLength(2);
    for (const input of created) {
      expect(input).toMatchObject({
        tags: { team: "orders", "aurora-restore:operation": operationId },
        settings: {
          dbParameterGroupName: "target-instance-params",
          performanceInsights: { enabled: true, retentionPeriod: 7, kmsKeyId: keys.target },
          monitoringInterval: 60,
          monitoringRoleArn: monitoringRole,
          publiclyAccessible: false,
        },
      });
    }
    // The target was read once, by the first run; the second took its instance settings from the outputs.
    const reads = w.rds.callsOf("describeCluster").concat(w.rds.callsOf("describeInstance"));
    expect(reads.map((c) => c.input).filter((id) => id === "staging" || id === "staging-1")).toEqual([
      "staging",
      "staging-1",
    ]);
  });

  test("an operation restored before the target's settings were recorded reads them again for its instances", async () => {
    const w = await createWorld(backend());
    w.rds.addCluster(targetLocation, "staging", ["staging-1"]);
    w.rds.instance(targetLocation, "staging-1")!.settings = {
      dbParameterGroupName: "target-instance-params",
    };
    w.rds.addCluster(targetLocation, "staging-next", []);
    const operation = await w.seedOperation("cluster-created", { nextClusterId: "staging-next" });
    await onClusterCreated(
      w.deps,
      w.deliver(ClusterCreated, {
        ...w.meta(operation),
        cluster: { ...targetLocation, clusterIdentifier: "staging-next" },
      }),
    );
    expect(w.rds.callsOf("describeCluster").map((c) => c.input)).toEqual(["staging"]);
    expect(w.rds.callsOf("createInstance").map((c) => c.input)).toEqual([
      expect.objectContaining({
        instanceIdentifier: "staging-next-1",
        settings: expect.objectContaining({ dbParameterGroupName: "target-instance-params" }),
      }),
      expect.objectContaining({ instanceIdentifier: "staging-next-2" }),
    ]);
  });

  test("the plan's settings come before the target's; a first refresh has only the plan's, and private instances", async () => {
    const plan = makePlan({
      target: {
        settings: { deletionProtection: false, backupRetentionDays: 3, tags: { env: "staging" } },
        instances: {
          instanceClass: "db.r6g.large",
          count: 1,
          parameterGroupName: "plan-instance-params",
          monitoring: { intervalSeconds: 0 },
          publiclyAccessible: true,
        },
      },
    });
    const w = await createWorld(backend(), [plan]);
    const { operationId, event } = await untilCopyCompleted(w);
    await onCopyCompleted(w.deps, event);
    expect(w.rds.callsOf("restoreClusterFromSnapshot")[0]?.input).toMatchObject({
      tags: { env: "staging", "aurora-restore:operation": operationId },
      settings: { deletionProtection: false, backupRetentionPeriod: 3 },
    });
    w.rds.settle();
    await checkWatches(w.deps, "tick-cluster");
    await onClusterCreated(w.deps, w.publisher.only(ClusterCreated));
    expect(w.rds.callsOf("createInstance")[0]?.input).toMatchObject({
      settings: {
        dbParameterGroupName: "plan-instance-params",
        monitoringInterval: 0,
        publiclyAccessible: true,
      },
    });

    const w2 = await createWorld(backend());
    const second = await untilCopyCompleted(w2);
    await onCopyCompleted(w2.deps, second.event);
    w2.rds.settle();
    await checkWatches(w2.deps, "tick-cluster");
    await onClusterCreated(w2.deps, w2.publisher.only(ClusterCreated));
    expect(w2.rds.callsOf("createInstance")[0]?.input).toMatchObject({
      settings: { publiclyAccessible: false },
    });
  });

  test("replayed CopyCompleted and ClusterCreated events do nothing twice", async () => {
    const w = await createWorld(backend());
    const { operationId, event } = await untilCopyCompleted(w);
    await onCopyCompleted(w.deps, event);
    await onCopyCompleted(w.deps, { ...event, id: "replayed-copy-completed" });
    expect(w.rds.callsOf("restoreClusterFromSnapshot")).toHaveLength(1);

    w.rds.settle();
    await checkWatches(w.deps, "tick");
    const created = w.publisher.only(ClusterCreated);
    await onClusterCreated(w.deps, created);
    await onClusterCreated(w.deps, { ...created, id: "replayed-cluster-created" });
    expect(w.rds.callsOf("createInstance")).toHaveLength(2);
    const trail = await w.auditOf(operationId);
    expect(trail).toContain("restore:restore-cluster:ignored-duplicate");
    expect(trail).toContain("restore:create-instances:ignored-duplicate");
  });

  test("a leftover temporary cluster from an earlier run is not adopted: the operation fails saying what to delete", async () => {
    const w = await createWorld(backend());
    w.rds.addCluster(targetLocation, "staging-next", [], { createdAt: "2026-03-01T00:00:00.000Z" });
    const { operationId, event } = await untilCopyCompleted(w);
    await onCopyCompleted(w.deps, event);
    const operation = await w.store.get(operationId);
    expect(operation?.error).toMatchObject({ stage: "restore", code: "StaleNextCluster" });
    expect(operation?.error?.message).toMatch(
      /already exists from an earlier run.*delete-db-cluster --db-cluster-identifier staging-next/,
    );
  });

  test("a stale -next the pipeline left (its tag names an ended operation) is deleted and the restore retried, not refused", async () => {
    const w = await createWorld(backend());
    w.rds.addCluster(targetLocation, "staging-next", ["staging-next-1"], {
      createdAt: "2026-03-01T00:00:00.000Z",
      settings: { tags: { "aurora-restore:operation": "op-from-a-failed-run" } },
    });
    const { operationId, event } = await untilCopyCompleted(w);
    const first = onCopyCompleted(w.deps, event);
    await expect(first).rejects.toMatchObject({ name: "StaleNextClusterDeletingError", retryable: true });
    expect(w.rds.callsOf("deleteInstance").map((c) => c.input)).toEqual(["staging-next-1"]);
    expect(w.rds.callsOf("deleteCluster")).toHaveLength(1);
    w.rds.settle();
    // The bus delivers the event again: the name is free, the restore starts, the operation runs on.
    await onCopyCompleted(w.deps, event);
    const operation = await w.store.get(operationId);
    expect(operation?.step).toBe("restoring");
    expect(w.rds.callsOf("restoreClusterFromSnapshot")).toHaveLength(1);
  });

  test("an AWS refusal fails the operation with its name; a cluster that ends inaccessible fails it with the reason", async () => {
    const w = await createWorld(backend());
    const { operationId, event } = await untilCopyCompleted(w);
    w.rds.failNext(
      "restoreClusterFromSnapshot",
      new AwsCallError("InvalidParameterCombinationException", "bad subnet group", "rds"),
    );
    await onCopyCompleted(w.deps, event);
    expect((await w.store.get(operationId))?.error?.code).toBe("InvalidParameterCombinationException");
    expect(w.publisher.only(RestoreFailed).detail.stage).toBe("restore");

    const w2 = await createWorld(backend());
    const second = await untilCopyCompleted(w2);
    await onCopyCompleted(w2.deps, second.event);
    w2.rds.cluster(targetLocation, "staging-next")!.status = "inaccessible-encryption-credentials";
    await checkWatches(w2.deps, "tick");
    const failed = await w2.store.get(second.operationId);
    expect(failed?.error).toMatchObject({ stage: "restore", code: "ClusterFailed" });
    expect(failed?.error?.message).toMatch(/cannot use its KMS key/);
  });
});
