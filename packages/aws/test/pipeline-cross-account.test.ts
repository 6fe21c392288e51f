import { ClusterAvailable, targetKeyOf } from "@aurora-restore/core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { planSchema } from "../../core/src/plan/schema";
import { type DynamoBackend, startDynalite } from "../../core/test/support/dynamo";
import { AwsWorld } from "./support/aws-world";
import { PipelineRun } from "./support/pipeline-driver";

/**
 * A cross-account (111… -> 222…), cross-region (eu-west-1 -> us-east-1) refresh driven through the real stage
 * handlers and the AWS adapters, with the SDK answered by the test AWS (support/aws-world.ts): checks where
 * each call is made and with what parameters.
 */

const source = { accountId: "111111111111", region: "eu-west-1" };
const target = { accountId: "222222222222", region: "us-east-1" };
const roleArn = "arn:aws:iam::111111111111:role/aurora-restore-source";
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

let backend: DynamoBackend;
let world: AwsWorld | undefined;
beforeAll(async () => {
  backend = await startDynalite();
});
afterAll(async () => {
  await backend.stop();
  world?.restore();
});

async function drive(copyMode: "single-hop" | "two-hop") {
  world?.restore();
  world = new AwsWorld();
  world.addKey(shareKey);
  world.addKey(targetKey);
  world.addCluster(source, "prod-db", { kmsKeyId: world.awsRdsKey(source.accountId, source.region) });
  const snapshotArn = world.addSnapshot(source, "rds:prod-db-2026-03-14-03-00", {
    DBClusterIdentifier: "prod-db",
    SnapshotType: "automated",
    KmsKeyId: world.awsRdsKey(source.accountId, source.region),
  });
  const run = await PipelineRun.start({
    backend,
    world,
    at: { stage: "production", partition: "aws", ...target },
    plans: [planFor(copyMode)],
  });
  await run.run(run.snapshotCreated(snapshotArn, "automated"), {
    until: (published) => published.some((e) => e.DetailType === ClusterAvailable.detailType),
  });
  const published = world.published.find((e) => e.DetailType === ClusterAvailable.detailType);
  const current = world;
  const callsOf = <I>(command: string) =>
    current.callsOf(command).map((c) => ({ input: c.input as I, scope: c.scope }));
  return {
    deps: run.deps,
    available: { detail: JSON.parse(published?.Detail ?? "{}") },
    callsOf,
    world: current,
  };
}

describe("[slow] cross-account, cross-region pipeline through the AWS adapters", () => {
  test("single hop: each SDK call is made in the right account and region with the parameters AWS requires", async () => {
    const { deps, available, callsOf } = await drive("single-hop");
    expect(available.detail.endpoint).toEqual({
      host: "staging-db-next.cluster-xyz.us-east-1.rds.amazonaws.com",
      port: 5432,
    });

    // 1. The shareable copy: in the source account and region, through the source role, under the customer key.
    const copies = callsOf<Record<string, string>>("CopyDBClusterSnapshot");
    expect(copies).toHaveLength(2);
    const [shareCopy, targetCopy] = copies;
    expect(shareCopy!.scope).toEqual({ ...source, roleArn });
    expect(shareCopy!.input).toEqual({
      SourceDBClusterSnapshotIdentifier: "rds:prod-db-2026-03-14-03-00",
      TargetDBClusterSnapshotIdentifier: expect.stringMatching(/^aurora-restore-[0-9a-f]{10}-share$/),
      KmsKeyId: shareKey,
      CopyTags: false,
      // A shared copy is tagged with the key of its shared-copy record (one copy serves every refresh of the snapshot).
      Tags: [{ Key: "aurora-restore:shared-copy", Value: expect.stringMatching(/^[0-9a-f]{20}$/) }],
    });

    // 2. Shared with the target account, in the source account.
    const [share] = callsOf("ModifyDBClusterSnapshotAttribute");
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
    const [restoreCall] = callsOf("RestoreDBClusterFromSnapshot");
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
    expect(callsOf("CreateDBInstance").map((c) => c.input)).toEqual([
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
      callsOf<{ Entries: { EventBusName: string }[] }>("PutEvents").every((c) =>
        c.input.Entries.every((e) => e.EventBusName === "aurora-restore-production"),
      ),
    ).toBe(true);
    const operation = (
      await deps.store.listByTarget(targetKeyOf({ ...target, clusterIdentifier: "staging-db" }))
    )[0];
    expect(operation?.step).toBe("cluster-available");
  });

  test("two hops: into the target account in the source region first, then across regions under the target key", async () => {
    const { callsOf } = await drive("two-hop");
    const copies = callsOf<Record<string, string>>("CopyDBClusterSnapshot");
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
    expect(callsOf("RestoreDBClusterFromSnapshot")[0]!.input).toMatchObject({
      SnapshotIdentifier: hop2!.input.TargetDBClusterSnapshotIdentifier,
    });
  });
});
