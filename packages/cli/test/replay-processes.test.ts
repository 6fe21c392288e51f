/**
 * Issue 12, "Replay" and "Dead letters", as a user runs them (new processes on one state folder): after a full
 * local refresh (`demo --exit`), replaying its window reports every event as an ignored duplicate or a no-op
 * and changes nothing; dead letters re-driven after it are reported the same way, or as rejected again.
 */
import { readdirSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClusterAvailable } from "@aurora-restore/core/events/domain";
import { PIPELINE_SOURCE } from "@aurora-restore/core/events/names";
import { rdsDetailTypes } from "@aurora-restore/core/events/rds";
import { listAllOperations, openLocalState } from "@aurora-restore/local/runtime/open-state";
import { importStageHandler } from "@aurora-restore/local/runtime/stage-wiring";
import { startLocalRuntime } from "@aurora-restore/local/runtime/start-local-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesMentioning, runCliProcess } from "./support/cli-process";

interface ReportedEvent {
  archive: string;
  eventId: string;
  detailType: string;
  kind: string;
  changed: boolean;
  operations: string[];
  description: string;
}

/**
 * Everything a replay must leave as it was: the operations, the RDS records (clusters, instances,
 * snapshots), every secret's versions, the KMS keys and grants, the notifications sent.
 */
async function observable(stateDir: string) {
  const file = (...path: string[]) => readFileSync(join(stateDir, ...path), "utf8");
  const secrets = readdirSync(join(stateDir, "secrets"), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => [f, JSON.parse(file("secrets", f))]);
  const state = await openLocalState({ stateDir });
  try {
    return {
      operations: await listAllOperations(state.store),
      rds: JSON.parse(file("rds", "registry.json")),
      secrets,
      kms: JSON.parse(file("kms", "keys.json")),
      notifications: file("sns", "messages.jsonl"),
    };
  } finally {
    await state.close();
  }
}

describe.skipIf(process.platform !== "linux")("[slow] replay and re-drive after a local refresh", () => {
  let dir: string;
  let stateDir: string;
  let before: Date;
  let after: Date;
  let operationId: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "aurora-replay-"));
    // Run as root, the servers run as 'postgres', which must pass through this folder.
    await chmod(dir, 0o711);
    stateDir = join(dir, "state");
    before = new Date(Date.now() - 1_000);
    const demo = await runCliProcess(["demo", "--exit", "--rows", "5", "--json", "--state-dir", stateDir]);
    expect(demo.code, demo.stderr).toBe(0);
    operationId = (JSON.parse(demo.stdout) as { operationId: string }).operationId;
    after = new Date(Date.now() + 1_000);
  }, 180_000);

  afterAll(async () => {
    for (const pid of processesMentioning(dir)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("replaying the refresh's window reports each event as an ignored duplicate or a no-op, and changes nothing", async () => {
    const unchanged = await observable(stateDir);
    const window = ["--from", before.toISOString(), "--to", after.toISOString()];

    const replay = await runCliProcess(["replay", ...window, "--json", "--state-dir", stateDir]);

    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stderr).toContain("rds archive: COMPLETED");
    expect(replay.stderr).toContain("pipeline archive: COMPLETED");
    const report = JSON.parse(replay.stdout) as {
      replays: { archive: string; state: string; eventsReplayed: number }[];
      events: ReportedEvent[];
      changedNothing: boolean;
      sideEffects: Record<string, number>;
    };
    expect(report.replays.map((r) => [r.archive, r.state])).toEqual([
      ["rds", "COMPLETED"],
      ["pipeline", "COMPLETED"],
    ]);
    expect(report.events.length).toBe(report.replays.reduce((n, r) => n + r.eventsReplayed, 0));
    const pipeline = report.events.filter((e) => e.archive === "pipeline");
    expect(pipeline.length).toBeGreaterThan(8);
    expect(
      pipeline.filter((e) => e.description !== "ignored duplicate: the operation already completed"),
    ).toEqual([]);
    expect(pipeline.every((e) => e.operations.join() === operationId)).toBe(true);
    // The snapshot event that started the refresh, replayed from the RDS archive: its operation exists.
    const snapshot = report.events.filter((e) => e.detailType === rdsDetailTypes.clusterSnapshot);
    expect(snapshot.map((e) => [e.archive, e.description, e.operations])).toEqual([
      ["rds", "ignored duplicate: the operation already completed", [operationId]],
    ]);
    expect(report.events.filter((e) => e.kind !== "ignored-duplicate" && e.kind !== "no-effect")).toEqual([]);
    expect(report.events.some((e) => e.changed)).toBe(false);
    expect(report.changedNothing).toBe(true);
    expect(report.sideEffects).toEqual({});
    expect(await observable(stateDir)).toEqual(unchanged);
  }, 120_000);

  it("--operation reports only that operation's events, and must name one that exists", async () => {
    const window = ["--from", before.toISOString(), "--to", after.toISOString()];
    const replay = await runCliProcess([
      "replay",
      ...window,
      "--operation",
      operationId,
      "--state-dir",
      stateDir,
    ]);
    expect(replay.code, replay.stderr).toBe(0);
    const lines = replay.stdout.trimEnd().split("\n");
    const events = lines.filter((l) => l.includes(": ignored duplicate") || l.includes(": no-op"));
    expect(events.length).toBeGreaterThan(8);
    for (const line of events) expect(line).toContain(`(${operationId}): ignored duplicate`);
    expect(lines).toContain("Nothing changed: the replay started, resumed or failed no operation.");

    const unknown = await runCliProcess([
      "replay",
      ...window,
      "--operation",
      "op-nope",
      "--state-dir",
      stateDir,
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no operation op-nope in");
    expect(unknown.stdout).toBe("");
  }, 120_000);

  it("dead letters re-driven after the refresh: an ignored duplicate, then a rejection that comes back", async () => {
    // A runtime in this process with cutover down: a replayed RestoreVerified is dead-lettered; and a
    // malformed ClusterAvailable naming the operation is rejected by configure (dead-lettered at once).
    const runtime = await startLocalRuntime({
      stateDir,
      loadHandler: async (stage) => {
        const real = await importStageHandler(stage);
        return {
          handle: (event, deps) =>
            stage.name === "cutover"
              ? Promise.reject(new Error("cutover is down"))
              : real.handle(event, deps),
        };
      },
      deliveryRetryPolicy: { maximumRetryAttempts: 0 },
    });
    try {
      const operation = (await runtime.store.get(operationId))!;
      const archive = runtime.archives.pipeline;
      runtime.bridge.startReplay({
        replayName: "cutover-down",
        eventSourceArn: archive.archiveArn,
        eventStartTime: before,
        eventEndTime: after,
        destination: { arn: archive.eventSourceArn },
      });
      await runtime.bridge.putEvents([
        {
          Source: PIPELINE_SOURCE,
          DetailType: ClusterAvailable.detailType,
          Detail: JSON.stringify({ operationId, correlationId: operation.correlationId }),
          EventBusName: runtime.busName,
        },
      ]);
      await runtime.idle();
    } finally {
      await runtime.stop();
    }
    const unchanged = await observable(stateDir);
    const list = await runCliProcess(["local", "dlq", "list", "--json", "--state-dir", stateDir]);
    const dead = JSON.parse(list.stdout) as { messageId: string; targetId: string; retriable: boolean }[];
    // cutover takes RestoreVerified and ClusterRenamed: both were dead-lettered (retriable: it was down).
    const cutover = dead.filter((m) => m.targetId === "cutover");
    expect(cutover.map((m) => m.retriable)).toEqual([true, true]);
    expect(dead.filter((m) => m.targetId !== "cutover").map((m) => [m.targetId, m.retriable])).toEqual([
      ["configure", false],
    ]);

    const first = await runCliProcess([
      ...["local", "dlq", "redrive", ...cutover.map((m) => m.messageId)],
      ...["--json", "--state-dir", stateDir],
    ]);
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as {
      redriven: (ReportedEvent & { targetId: string })[];
      changedNothing: boolean;
      leftInQueue: number;
    };
    expect(report.redriven.map((r) => [r.targetId, r.description, r.operations])).toEqual(
      cutover.map(() => ["cutover", "ignored duplicate: the operation already completed", [operationId]]),
    );
    expect(report.changedNothing).toBe(true);
    expect(report.leftInQueue).toBe(1);

    const second = await runCliProcess(["local", "dlq", "redrive", "--state-dir", stateDir]);
    expect(second.code, second.stderr).toBe(1);
    const lines = second.stdout.trimEnd().split("\n");
    expect(lines[0]).toContain(
      `${ClusterAvailable.detailType} -> configure (${operationId}): rejected again: `,
    );
    expect(lines[0]).toContain("configure rejected");
    expect(lines).toContain("1 re-driven (1 rejected), 0 skipped, 1 in the queue now");
    expect(lines).toContain("Nothing changed: the redrive started, resumed or failed no operation.");
    expect(await observable(stateDir)).toEqual(unchanged);
  }, 120_000);
});
