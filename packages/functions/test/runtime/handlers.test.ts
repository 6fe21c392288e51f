import {
  type AnyDomainEventContract,
  ClusterAvailable,
  ClusterConfigured,
  ClusterCreated,
  ClusterRenamed,
  CopyCompleted,
  RestoreCompleted,
  RestoreRequested,
  RestoreVerified,
  SnapshotAvailable,
  SourceSnapshotCopied,
} from "@aurora-restore/core";
import { describe, expect, test } from "vitest";
import { useDynalite } from "../../../core/test/support/dynalite";
import {
  createWorld,
  healthyAnswers,
  nextHost,
  snapshotCreatedEvent,
  targetHost,
  targetLocation,
  type World,
} from "../../../core/test/support/world";

const backend = useDynalite();

const stages = [
  "trigger",
  "prepare",
  "copy",
  "restore",
  "configure",
  "verify",
  "cutover",
  "notify",
  "cleanup",
  "watcher",
] as const;
type Stage = (typeof stages)[number];
type Handle = (event: unknown, deps: World["deps"]) => Promise<void>;

function scheduledTick(id: string) {
  return {
    version: "0",
    id,
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: targetLocation.accountId,
    time: "2026-03-14T04:00:00Z",
    region: targetLocation.region,
    resources: [],
    detail: {},
  };
}

// Importing a handler must not need AWS or the environment (dependencies are built on the first call):
// these imports run with neither, and every handler is then invoked with the world's dependencies.
describe("[slow] the ten stage handlers on the fake AWS", () => {
  test("each takes its events as EventBridge delivers them and does its stage's work, from a snapshot event to a cleaned-up refresh", async () => {
    const handle = {} as Record<Stage, Handle>;
    for (const stage of stages) {
      handle[stage] = ((await import(`../../src/${stage}/handler.ts`)) as { handle: Handle }).handle;
    }
    const w = await createWorld(backend());
    w.database.addServer(nextHost, "postgres", "password-from-the-snapshot");
    w.database.passwordDelayLogins = 0;
    w.database.answer = healthyAnswers;
    let ticks = 0;
    const tick = async () => {
      w.rds.settle();
      await handle.watcher(scheduledTick(`tick-${++ticks}`), w.deps);
    };
    /** Hands the newest published event of the contract to the stage's handler. */
    const pass = async (contract: AnyDomainEventContract, stage: Stage) => {
      const envelope = w.publisher.envelopes(contract).at(-1);
      expect(envelope, `${contract.detailType} for ${stage}`).toBeDefined();
      await handle[stage](envelope, w.deps);
    };

    await handle.trigger(snapshotCreatedEvent(w.automatedSnapshot()), w.deps);
    const operationId = w.publisher.only(RestoreRequested).detail.operationId;
    await pass(RestoreRequested, "prepare");
    expect(w.rds.callsOf("copyClusterSnapshot")).toHaveLength(1);
    await tick();
    await pass(SourceSnapshotCopied, "prepare");
    await pass(SnapshotAvailable, "copy");
    await tick();
    await pass(SnapshotAvailable, "copy"); // the second hop
    await tick();
    await pass(CopyCompleted, "restore");
    expect(w.rds.callsOf("restoreClusterFromSnapshot")).toHaveLength(1);
    await tick();
    await pass(ClusterCreated, "restore");
    expect(w.rds.callsOf("createInstance")).toHaveLength(2);
    await tick();
    await pass(ClusterAvailable, "configure");
    expect(w.secrets.current("aurora-restore/staging/master")).toMatchObject({ host: nextHost });
    await pass(ClusterConfigured, "verify");
    expect(w.database.queries.some((q) => q.user === "app_reader")).toBe(true);
    await pass(RestoreVerified, "cutover");
    await tick();
    await pass(ClusterRenamed, "cutover");
    await pass(RestoreCompleted, "notify");
    await pass(RestoreCompleted, "cleanup");

    expect((await w.store.get(operationId))?.step).toBe("completed");
    expect(w.rds.cluster(targetLocation, "staging")?.endpoint).toBe(targetHost);
    expect(w.secrets.current("aurora-restore/staging/master")).toMatchObject({ host: targetHost });
    expect(w.sns.published).toHaveLength(1);
    expect(w.sns.published[0]!.message).toContain(`Endpoint: ${targetHost}:5432`);
    // cleanup deleted the shareable copy, the first hop (both in the source's region) and the target copy, in
    // whatever order it leaves the shared copies: only the source snapshot remains.
    expect(
      w.rds
        .callsOf("deleteClusterSnapshot")
        .map((c) => c.scope.region)
        .sort(),
    ).toEqual(["eu-west-1", "us-east-1", "us-east-1"]);
    expect([...w.rds.snapshots.values()].map((s) => s.identifier)).toEqual([
      w.publisher.only(RestoreRequested).detail.sourceSnapshot.identifier,
    ]);
    const trail = await w.auditOf(operationId);
    expect(trail.filter((e) => e.endsWith(":failed") || e.endsWith(":rejected"))).toEqual([]);
    expect(new Set(trail.map((e) => e.split(":")[0]))).toEqual(new Set(stages));
  });
});
