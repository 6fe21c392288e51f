import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ClusterAvailable,
  RDS_SOURCE,
  RestoreRequested,
  rdsDetailTypes,
  resourceChangedPattern,
  type StageDeclaration,
  type StageDeps,
  snapshotCreatedPattern,
} from "@aurora-restore/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { demoPlan, demoProduction, demoStaging } from "../../src/demo/demo-plan";
import type { StageHandlerModule } from "../../src/runtime/stage-wiring";
import { type LocalRuntime, startLocalRuntime } from "../../src/runtime/start-local-runtime";

interface Received {
  stage: string;
  detailType: string;
  account: string;
  actor: string;
}

function fakeStage(
  name: StageDeclaration["name"],
  subscriptions: StageDeclaration["subscriptions"],
  schedule?: string,
): StageDeclaration {
  return {
    name,
    description: `fake ${name}`,
    handler: `packages/functions/src/${name}/handler.handler`,
    subscriptions,
    ...(schedule ? { schedule } : {}),
    reachesDatabase: false,
    ports: [],
    permissions: () => [],
  };
}

const stages = [
  fakeStage("trigger", [{ bus: "default", pattern: snapshotCreatedPattern(), description: "snapshots" }]),
  fakeStage("prepare", [{ bus: "pipeline", contracts: [RestoreRequested] }]),
  fakeStage("configure", [{ bus: "pipeline", contracts: [ClusterAvailable] }]),
  fakeStage(
    "watcher",
    [{ bus: "default", pattern: resourceChangedPattern(), description: "rds" }],
    "rate(1 minute)",
  ),
];

function snapshotEvent(eventId: string) {
  return {
    Source: RDS_SOURCE,
    DetailType: rdsDetailTypes.clusterSnapshot,
    EventBusName: "default",
    Resources: ["arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rds:production-db-2025-01-01-00-00"],
    Detail: JSON.stringify({
      EventCategories: ["backup"],
      SourceType: "CLUSTER_SNAPSHOT",
      SourceArn: "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rds:production-db-2025-01-01-00-00",
      SourceIdentifier: "rds:production-db-2025-01-01-00-00",
      Date: "2025-01-01T00:00:00Z",
      Message: "Automated cluster snapshot created",
      EventID: eventId,
    }),
  };
}

describe("local runtime wiring", () => {
  let stateDir: string;
  let runtime: LocalRuntime | undefined;
  let received: Received[];
  let logLines: string[];
  const failing = new Set<string>();

  const loadHandler = async (stage: StageDeclaration): Promise<StageHandlerModule> => ({
    async handle(event: unknown, deps: StageDeps) {
      const e = event as { "detail-type": string; account: string };
      if (failing.has(stage.name))
        throw Object.assign(new Error(`${stage.name} broke`), { retryable: false });
      received.push({
        stage: stage.name,
        detailType: e["detail-type"],
        account: e.account,
        actor: deps.actor,
      });
    },
  });

  async function start() {
    runtime = await startLocalRuntime({
      stateDir,
      stages,
      loadHandler,
      watcherIntervalMs: 20,
      log: { write: (line: string) => logLines.push(line) },
    });
    return runtime;
  }

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "aurora-runtime-"));
    received = [];
    logLines = [];
    failing.clear();
  });

  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
    await rm(stateDir, { recursive: true, force: true });
  });

  it("forwards a source account's snapshot event to the pipeline bus, where only the trigger gets it", async () => {
    const rt = await start();
    await rt.registerPlan(demoPlan(rt.topicArn));
    const production = rt.bridge.eventBus("default", {
      account: demoProduction.accountId,
      region: demoProduction.region,
    });
    // As the local RDS publishes them: only the AWS service itself may use the aws.rds source.
    const asRds = { awsServiceSource: RDS_SOURCE };
    await production.putEvents([snapshotEvent("RDS-EVENT-0169")], asRds);
    await production.putEvents([snapshotEvent("RDS-EVENT-0168")], asRds); // "creating": matches no rule
    await rt.bridge.drain();
    const triggers = received.filter((r) => r.stage === "trigger");
    expect(triggers).toEqual([
      {
        stage: "trigger",
        detailType: rdsDetailTypes.clusterSnapshot,
        account: demoProduction.accountId,
        actor: "aurora-restore-trigger",
      },
    ]);
  });

  it("delivers the pipeline account's own RDS events from its default bus, without forwarding them twice", async () => {
    const rt = await start();
    await rt.registerPlan(demoPlan(rt.topicArn));
    const staging = rt.bridge.eventBus("default", {
      account: demoStaging.accountId,
      region: demoStaging.region,
    });
    await staging.putEvents(
      [
        {
          Source: RDS_SOURCE,
          DetailType: rdsDetailTypes.cluster,
          Detail: JSON.stringify({ EventID: "RDS-EVENT-0170", SourceIdentifier: "staging-db-next" }),
        },
      ],
      { awsServiceSource: RDS_SOURCE },
    );
    await rt.bridge.drain();
    const rdsEvents = received.filter(
      (r) => r.stage === "watcher" && r.detailType === rdsDetailTypes.cluster,
    );
    expect(rdsEvents).toHaveLength(1);
  });

  it("routes domain events by contract and runs the watcher on its schedule", async () => {
    const rt = await start();
    const now = new Date().toISOString();
    const meta = { operationId: "op-1", correlationId: "c-1", causationId: "e-0", occurredAt: now };
    await rt.depsFor("restore").publisher.putEvents([
      ClusterAvailable.entry(
        {
          ...meta,
          cluster: { clusterIdentifier: "staging-db-next", ...demoStaging },
          endpoint: { host: "127.0.0.1", port: 5432 },
        },
        { busName: rt.busName },
      ),
    ]);
    await rt.bridge.drain();
    expect(received.filter((r) => r.stage === "configure").map((r) => r.detailType)).toEqual([
      ClusterAvailable.detailType,
    ]);
    expect(received.some((r) => r.stage === "prepare")).toBe(false);
    await expect
      .poll(() => received.filter((r) => r.detailType === "Scheduled Event").length)
      .toBeGreaterThan(1);
  });

  it("dead-letters what a stage keeps refusing, and the queue survives a restart", async () => {
    failing.add("configure");
    const rt = await start();
    const now = new Date().toISOString();
    await rt.depsFor("restore").publisher.putEvents([
      ClusterAvailable.entry(
        {
          operationId: "op-2",
          correlationId: "c-2",
          causationId: "e-1",
          occurredAt: now,
          cluster: { clusterIdentifier: "staging-db-next", ...demoStaging },
          endpoint: { host: "127.0.0.1", port: 5432 },
        },
        { busName: rt.busName },
      ),
    ]);
    await rt.bridge.drain();
    expect(rt.bridge.listDeadLetters().map((m) => m.targetId)).toEqual(["configure"]);
    expect(logLines.join("")).toContain("[configure] ERROR ClusterAvailable");
    await rt.stop();
    failing.clear();
    const again = await start();
    expect(again.bridge.listDeadLetters()).toHaveLength(1);
    const result = again.bridge.redriveDeadLetters();
    await again.bridge.drain();
    expect(result.redriven).toHaveLength(1);
    expect(received.filter((r) => r.stage === "configure")).toHaveLength(1);
  });

  it("keeps operations, audit entries and plans across restarts (dynalite persisted in the state folder)", async () => {
    const rt = await start();
    await rt.registerPlan(demoPlan(rt.topicArn));
    await rt.audit.append(
      {
        operationId: "op-3",
        targetKey: "k",
        stage: "trigger",
        action: "start",
        actor: "test",
        outcome: "started",
      },
      { at: new Date().toISOString(), compliance: "default" },
    );
    await rt.stop();
    const again = await start();
    expect((await again.audit.listByOperation("op-3")).map((e) => e.action)).toEqual(["start"]);
    expect((await again.plans.list()).map((p) => p.id)).toEqual(["local-demo"]);
  });

  it("logs through a logger that redacts secret-looking fields", async () => {
    const rt = await start();
    rt.depsFor("configure").logger.info("set master password", {
      password: "hunter2-secret",
      secretArn: "arn:x",
    });
    const text = logLines.join("");
    expect(text).toContain("[redacted]");
    expect(text).toContain("arn:x");
    expect(text).not.toContain("hunter2");
  });

  it("writes the stages' log to the state folder by default", async () => {
    runtime = await startLocalRuntime({ stateDir, stages, loadHandler, watcherIntervalMs: 1_000 });
    runtime.depsFor("prepare").logger.warn("hello from prepare");
    const file = runtime.logFile!;
    await runtime.stop();
    expect(await readFile(file, "utf8")).toContain("[prepare] WARN hello from prepare");
  });
});
