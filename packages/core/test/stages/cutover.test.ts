import { describe, expect, it } from "vitest";
import { ClusterRenamed, RestoreCompleted, RestoreFailed, RestoreVerified } from "../../src/events/domain";
import { resourceNames } from "../../src/operation/ids";
import { planSchema } from "../../src/plan/schema";
import { AwsCallError } from "../../src/ports/errors";
import { onClusterRenamed, onRestoreVerified } from "../../src/stages/cutover";
import { asDelivery } from "../../src/stages/kit/lease";
import type { OperationInfo } from "../../src/storage/operations";
import { useDynalite } from "../support/dynalite";
import { watchesOf } from "../support/watches";
import {
  createWorld,
  nextHost,
  planInput,
  target,
  targetHost,
  targetLocation,
  type World,
} from "../support/world";

const backend = useDynalite();

const secretNames = ["aurora-restore/staging/master", "aurora-restore/staging/app_reader"] as const;

/**
 * A verified operation: next cluster restored, the credentials configure stored pointing at the next host.
 * With an existing target, its secrets already exist: AWSCURRENT is what the target's applications use (old
 * password, target host) and the new credentials are staged as AWSPENDING; a new target's secrets were
 * created by configure with the new credentials as AWSCURRENT.
 */
async function verified(world: World, options: { existingTarget: boolean; recordedInstances?: boolean }) {
  if (options.existingTarget)
    world.rds.addCluster(targetLocation, "staging", ["staging-instance-a", "staging-1"]);
  world.rds.addCluster(targetLocation, "staging-next", ["staging-next-1", "staging-next-2"]);
  const secrets = world.secrets.port(targetLocation);
  const arns: string[] = [];
  for (const [name, username] of [
    [secretNames[0], "postgres"],
    [secretNames[1], "app_reader"],
  ] as const) {
    const value = {
      username,
      password: `secret-of-${username}`,
      host: nextHost,
      port: 5432,
      dbname: "app",
      engine: "postgres",
    };
    if (options.existingTarget) {
      const old = { ...value, password: `old-secret-of-${username}`, host: targetHost };
      await secrets.createSecret({ name, secretString: JSON.stringify(old) });
      const staged = { secretId: name, secretString: JSON.stringify(value), versionStages: ["AWSPENDING"] };
      arns.push((await secrets.putSecretValue(staged)).arn);
    } else {
      arns.push((await secrets.createSecret({ name, secretString: JSON.stringify(value) })).arn);
    }
  }
  const operation = await world.seedOperation("verified", {
    masterSecretArn: arns[0]!,
    applicationSecretArns: [arns[1]!],
    // Recorded by restore's first run (operations restored before that have none).
    ...(options.recordedInstances ? { nextInstances: ["staging-next-1", "staging-next-2"] } : {}),
  });
  const event = world.deliver(RestoreVerified, {
    ...world.meta(operation),
    cluster: { ...targetLocation, clusterIdentifier: "staging-next" },
    checks: [{ name: "orders rows", passed: true }],
  });
  return { operation, event, names: resourceNames(operation.operationId, "staging") };
}

/** The target's applications still read the old, working credentials; the new ones wait as AWSPENDING. */
function expectTargetSecretsUntouched(world: World) {
  for (const name of secretNames) {
    const current = world.secrets.current(name);
    expect(current).toMatchObject({ host: targetHost, port: 5432 });
    expect(current?.password).toMatch(/^old-secret-of-/);
    expect(world.secrets.staged(name, "AWSPENDING")).toMatchObject({ host: nextHost });
  }
}

/** Promoted: AWSCURRENT has the new password with the target's host, the old value is AWSPREVIOUS. */
function expectTargetSecretsPromoted(world: World) {
  for (const name of secretNames) {
    const current = world.secrets.current(name);
    expect(current).toMatchObject({ host: targetHost, port: 5432 });
    expect(current?.password).toMatch(/^secret-of-/);
    expect(world.secrets.staged(name, "AWSPENDING")).toBeUndefined();
    expect(world.secrets.staged(name, "AWSPREVIOUS")?.password).toMatch(/^old-secret-of-/);
  }
}

function renamed(
  world: World,
  operation: OperationInfo,
  step: "old-moved-away" | "new-moved-in" | "rolled-back",
  endpoint?: { host: string; port: number },
) {
  const names = resourceNames(operation.operationId, "staging");
  const [clusterIdentifier, previousIdentifier] = {
    "old-moved-away": [names.oldCluster, "staging"],
    "new-moved-in": ["staging", names.nextCluster],
    "rolled-back": ["staging", names.oldCluster],
  }[step];
  return world.deliver(ClusterRenamed, {
    ...world.meta(operation),
    cluster: { ...targetLocation, clusterIdentifier: clusterIdentifier! },
    previousIdentifier: previousIdentifier!,
    step,
    ...(endpoint ? { endpoint } : {}),
  });
}

async function stepOf(world: World, operation: OperationInfo) {
  return (await world.store.get(operation.operationId))?.step;
}

describe("cutover", () => {
  it("moves the old target away, the new cluster in, promotes the secrets and deletes the old cluster", async () => {
    const world = await createWorld(backend());
    const { operation, event, names } = await verified(world, { existingTarget: true });

    await onRestoreVerified(world.deps, event);
    expect(await stepOf(world, operation)).toBe("cutting-over");
    expectTargetSecretsUntouched(world);
    expect(
      world.rds
        .cluster(targetLocation, names.oldCluster)
        ?.members.map((m) => m.instanceIdentifier)
        .sort(),
    ).toEqual([`${names.oldCluster}-1`, `${names.oldCluster}-2`]);
    const watches = await watchesOf(world.store, operation.operationId);
    expect(watches).toEqual([
      expect.objectContaining({
        watchId: "cluster-renamed:old-moved-away",
        kind: "cluster-renamed",
        resource: names.oldCluster,
        context: expect.objectContaining({
          publish: ClusterRenamed.detailType,
          atStep: "cutting-over",
          renameStep: "old-moved-away",
          previousIdentifier: "staging",
        }),
      }),
    ]);

    await onClusterRenamed(world.deps, renamed(world, operation, "old-moved-away"));
    expect(await stepOf(world, operation)).toBe("old-moved-away");
    const swapped = world.rds.cluster(targetLocation, "staging");
    expect(swapped?.members.map((m) => m.instanceIdentifier)).toEqual(["staging-1", "staging-2"]);
    expect(world.rds.cluster(targetLocation, "staging-next")).toBeUndefined();
    expectTargetSecretsUntouched(world);
    // Instances are renamed before their cluster.
    const renames = world.calls.lines.filter((c) => c.includes("rename"));
    expect(renames.indexOf("rds.modifyCluster:rename:staging-next->staging")).toBeGreaterThan(
      renames.indexOf("rds.renameInstance:staging-next-2->staging-2"),
    );

    await onClusterRenamed(world.deps, renamed(world, operation, "new-moved-in"));
    const done = await world.store.get(operation.operationId);
    expect(done?.step).toBe("completed");
    expect(done?.outputs.replacedClusterIdentifier).toBe(names.oldCluster);
    expectTargetSecretsPromoted(world);
    expect(world.calls.lines.filter((c) => c.startsWith("secrets.updateSecretVersionStage"))).toEqual(
      secretNames.map((name) => expect.stringMatching(`${name}-AbCdEf:AWSPENDING$`)),
    );
    expect(world.rds.cluster(targetLocation, names.oldCluster)).toBeUndefined();
    const deletes = world.calls.lines.filter((c) => c.startsWith("rds.delete"));
    expect(deletes.at(-1)).toBe(`rds.deleteCluster:${names.oldCluster}`);
    expect(deletes.slice(0, 2).sort()).toEqual([
      `rds.deleteInstance:${names.oldCluster}-1`,
      `rds.deleteInstance:${names.oldCluster}-2`,
    ]);
    expect(await world.store.lockHolder("222222222222/eu-west-1/staging")).toBeUndefined();
    const [completed] = world.publisher.delivered(RestoreCompleted);
    expect(completed?.detail).toMatchObject({
      endpoint: { host: targetHost, port: 5432 },
      replacedClusterIdentifier: names.oldCluster,
      target,
    });
    expect(await world.observable(operation.operationId)).not.toContain("secret-of-");
  });

  it("moves the new cluster straight in when the target does not exist yet", async () => {
    const world = await createWorld(backend());
    const { operation, event } = await verified(world, { existingTarget: false });

    // Two deliveries at once: one claims verified -> old-moved-away in one write, the other does nothing.
    await Promise.all([onRestoreVerified(world.deps, event), onRestoreVerified(world.deps, event)]);

    expect(await stepOf(world, operation)).toBe("old-moved-away");
    // The claim and the watch of the rename: no write through cutting-over.
    expect((await world.store.get(operation.operationId))?.version).toBe(operation.version + 2);
    expect(world.calls.lines.filter((c) => c.startsWith("rds.modifyCluster"))).toHaveLength(1);
    expect(world.rds.cluster(targetLocation, "staging")).toBeDefined();
    const watches = await watchesOf(world.store, operation.operationId);
    expect(watches.map((w) => w.watchId)).toEqual(["cluster-renamed:new-moved-in"]);
    await onClusterRenamed(world.deps, renamed(world, operation, "new-moved-in"));
    const done = await world.store.get(operation.operationId);
    expect(done?.step).toBe("completed");
    expect(done?.outputs.replacedClusterIdentifier).toBeUndefined();
    expect(world.calls.lines.some((c) => c.startsWith("rds.deleteCluster"))).toBe(false);
    // configure created these secrets (with the next host); now they point at the target.
    for (const name of secretNames) {
      expect(world.secrets.current(name)).toMatchObject({ host: targetHost, password: expect.any(String) });
      expect(world.secrets.staged(name, "AWSPREVIOUS")).toMatchObject({ host: nextHost });
    }
    expect(world.calls.lines.some((c) => c.startsWith("secrets.updateSecretVersionStage"))).toBe(false);
  });

  it("finishes promoting after a transient failure between storing the value and removing AWSPENDING", async () => {
    const world = await createWorld(backend());
    const { operation, event } = await verified(world, { existingTarget: true });
    await onRestoreVerified(world.deps, event);
    await onClusterRenamed(world.deps, renamed(world, operation, "old-moved-away"));
    let throttled = false;
    world.secrets.failWith = (method) => {
      if (method !== "updateSecretVersionStage" || throttled) return undefined;
      throttled = true;
      return new AwsCallError("ThrottlingException", "Rate exceeded", "secretsmanager");
    };
    const movedIn = renamed(world, operation, "new-moved-in");

    await expect(asDelivery(world.deps, () => onClusterRenamed(world.deps, movedIn))).rejects.toThrow(
      /Rate exceeded/,
    );
    expect(world.secrets.current(secretNames[0])?.password).toBe("secret-of-postgres");
    expect(world.secrets.staged(secretNames[0], "AWSPENDING")).toBeDefined();
    await onClusterRenamed(world.deps, movedIn);

    expect(await stepOf(world, operation)).toBe("completed");
    // The retry did not store the value again, so AWSPREVIOUS is still what the applications used before.
    expectTargetSecretsPromoted(world);
    expect(world.calls.lines.filter((c) => c.startsWith("secrets.putSecretValue")).length).toBe(
      secretNames.length * 2,
    );
  });

  it("ignores duplicate RestoreVerified and ClusterRenamed events", async () => {
    const world = await createWorld(backend());
    const { operation, event } = await verified(world, { existingTarget: true });
    await onRestoreVerified(world.deps, event);
    const oldAway = renamed(world, operation, "old-moved-away");
    await onClusterRenamed(world.deps, oldAway);
    const callsBefore = world.calls.lines.length;

    await onRestoreVerified(world.deps, { ...event, id: "duplicate-verified" });
    await onClusterRenamed(world.deps, { ...oldAway, id: "duplicate-renamed" });

    expect(world.calls.lines.length).toBe(callsBefore);
    expect(await stepOf(world, operation)).toBe("old-moved-away");
    const ignored = (await world.audit.listByOperation(operation.operationId)).filter(
      (e) => e.outcome === "ignored-duplicate",
    );
    expect(ignored).toHaveLength(2);
  });

  it("renames the old cluster back and fails the operation when the new one cannot move in", async () => {
    const world = await createWorld(backend());
    const { operation, event, names } = await verified(world, { existingTarget: true });
    await onRestoreVerified(world.deps, event);
    world.rds.failWith = (method, input) =>
      method === "modifyCluster" &&
      (input as { clusterIdentifier: string }).clusterIdentifier === "staging-next"
        ? new AwsCallError(
            "InvalidDBClusterStateFault",
            "DB cluster staging-next is not in available state.",
            "rds",
          )
        : undefined;

    await onClusterRenamed(world.deps, renamed(world, operation, "old-moved-away"));

    expect(await stepOf(world, operation)).toBe("rolling-back");
    const back = world.rds.cluster(targetLocation, "staging");
    expect(back?.members.map((m) => m.instanceIdentifier).sort()).toEqual([
      "staging-1",
      "staging-instance-a",
    ]);
    expect(
      world.rds.cluster(targetLocation, "staging-next")?.members.map((m) => m.instanceIdentifier),
    ).toEqual(["staging-next-1", "staging-next-2"]);
    expect(world.rds.cluster(targetLocation, names.oldCluster)).toBeUndefined();
    const watch = (await watchesOf(world.store, operation.operationId)).find(
      (w) => w.watchId === "cluster-renamed:rolled-back",
    );
    expect(watch?.context).toMatchObject({
      renameStep: "rolled-back",
      atStep: "rolling-back",
      previousIdentifier: names.oldCluster,
    });

    await onClusterRenamed(world.deps, renamed(world, operation, "rolled-back"));

    const failed = await world.store.get(operation.operationId);
    expect(failed?.step).toBe("failed");
    expect(failed?.error).toMatchObject({ stage: "cutover", code: "InvalidDBClusterStateFault" });
    expect(failed?.error?.message).toContain("rolled back: staging is the old cluster again, unchanged");
    expect(world.publisher.delivered(RestoreFailed)).toHaveLength(1);
    expect(world.publisher.delivered(RestoreCompleted)).toHaveLength(0);
    expect(await world.store.lockHolder("222222222222/eu-west-1/staging")).toBeUndefined();
    // The old cluster serves the target again and its applications' credentials never changed.
    expectTargetSecretsUntouched(world);
  });

  it("puts renamed instances back and fails at once when the old cluster cannot be moved away", async () => {
    const world = await createWorld(backend());
    const { operation, event, names } = await verified(world, { existingTarget: true });
    world.rds.failWith = (method, input) =>
      method === "renameInstance" &&
      (input as { instanceIdentifier: string }).instanceIdentifier === "staging-instance-a"
        ? new AwsCallError(
            "InvalidDBInstanceStateFault",
            "DB instance staging-instance-a is not available.",
            "rds",
          )
        : undefined;

    await onRestoreVerified(world.deps, event);

    expect(world.calls.lines).toContain(`rds.renameInstance:${names.oldCluster}-1->staging-1`);
    const target = world.rds.cluster(targetLocation, "staging");
    expect(target?.members.map((m) => m.instanceIdentifier).sort()).toEqual([
      "staging-1",
      "staging-instance-a",
    ]);
    const failed = await world.store.get(operation.operationId);
    expect(failed?.step).toBe("failed");
    expect(failed?.error?.code).toBe("InvalidDBInstanceStateFault");
    expect(world.calls.lines.some((c) => c.startsWith("rds.modifyCluster"))).toBe(false);
    expect(await world.store.lockHolder("222222222222/eu-west-1/staging")).toBeUndefined();
  });

  it("keeps a final snapshot of the old cluster when the plan asks for one", async () => {
    const input = planInput();
    input.targets[0]!.finalSnapshotOnDelete = true;
    const world = await createWorld(backend(), [planSchema.parse(input)]);
    const { operation, event, names } = await verified(world, { existingTarget: true });

    await onRestoreVerified(world.deps, event);
    await onClusterRenamed(world.deps, renamed(world, operation, "old-moved-away"));
    await onClusterRenamed(world.deps, renamed(world, operation, "new-moved-in"));

    expect(world.rds.snapshots.has(`222222222222/eu-west-1/${names.oldCluster}-final`)).toBe(true);
  });

  it("unprotects an old cluster with deletion protection before deleting it (item 7); the new one keeps its protection", async () => {
    const world = await createWorld(backend());
    const { operation, event, names } = await verified(world, { existingTarget: true });
    // The target was protected; restore gave the new cluster the same protection.
    world.rds.cluster(targetLocation, "staging")!.settings = { deletionProtection: true };
    world.rds.cluster(targetLocation, "staging-next")!.settings = { deletionProtection: true };

    await onRestoreVerified(world.deps, event);
    await onClusterRenamed(world.deps, renamed(world, operation, "old-moved-away"));
    await onClusterRenamed(world.deps, renamed(world, operation, "new-moved-in"));

    const done = await world.store.get(operation.operationId);
    expect(done?.step).toBe("completed");
    expect(done?.outputs.oldClusterDeleted).toBe(true);
    expect(world.rds.cluster(targetLocation, names.oldCluster)).toBeUndefined();
    const unprotect = world.calls.lines.indexOf(
      `rds.modifyCluster:deletion-protection:${names.oldCluster}:false`,
    );
    expect(unprotect).toBeGreaterThanOrEqual(0);
    expect(unprotect).toBeLessThan(world.calls.lines.indexOf(`rds.deleteInstance:${names.oldCluster}-1`));
    // Only the cluster moved away is unprotected: the live target keeps its protection.
    expect(world.calls.lines.filter((c) => c.includes("deletion-protection"))).toHaveLength(1);
    expect(world.rds.cluster(targetLocation, "staging")?.settings?.deletionProtection).toBe(true);
  });

  it("renames the instances restore recorded without describing the new cluster, and promotes to the endpoint ClusterRenamed carries", async () => {
    const world = await createWorld(backend());
    const { operation, event } = await verified(world, { existingTarget: false, recordedInstances: true });
    const rdsCalls = () => world.calls.lines.filter((c) => c.startsWith("rds."));

    await onRestoreVerified(world.deps, event);
    expect(rdsCalls()).toEqual([
      // The look at the live target before anything is renamed stays.
      "rds.describeCluster:staging",
      "rds.renameInstance:staging-next-1->staging-1",
      "rds.renameInstance:staging-next-2->staging-2",
      "rds.modifyCluster:rename:staging-next->staging",
    ]);
    const before = rdsCalls().length;
    await onClusterRenamed(
      world.deps,
      renamed(world, operation, "new-moved-in", { host: targetHost, port: 5432 }),
    );
    expect((await world.store.get(operation.operationId))?.step).toBe("completed");
    expect(rdsCalls().slice(before)).toEqual([]);
    expect(world.publisher.only(RestoreCompleted).detail.endpoint).toEqual({ host: targetHost, port: 5432 });
    expect(world.secrets.current(secretNames[0])).toMatchObject({ host: targetHost, port: 5432 });
  });

  it("a move-in an earlier attempt left half done is finished from what a describe finds", async () => {
    const world = await createWorld(backend());
    const { operation, event } = await verified(world, { existingTarget: false, recordedInstances: true });
    // The earlier attempt renamed the first instance, then stopped.
    await world.deps
      .rds(targetLocation)
      .renameInstance({ instanceIdentifier: "staging-next-1", newInstanceIdentifier: "staging-1" });

    await onRestoreVerified(world.deps, event);
    const moved = world.rds.cluster(targetLocation, "staging");
    expect(moved?.members.map((m) => m.instanceIdentifier).sort()).toEqual(["staging-1", "staging-2"]);
    expect(world.calls.lines).toContain("rds.describeCluster:staging-next");
    const [watch] = await watchesOf(world.store, operation.operationId);
    expect(watch?.context).toMatchObject({
      renameStep: "new-moved-in",
      instances: ["staging-1", "staging-2"],
    });
  });
});
