/**
 * One instant-cluster measurement in a process of its own (fresh state folder, its own peak RSS), started by
 * bench/instant.ts as `node --import tsx bench/instant-worker.ts '<json>'`; writes its result as JSON to
 * the file the request names. Scenarios:
 * - `single`: one refresh, alone (what one operation costs at the ports and in DynamoDB), then refreshes one
 *   at a time with RDS's events delivered and dropped (how soon the pipeline sees a resource ready);
 * - `throughput`: `operations` refreshes of distinct targets started by one snapshot, all at once.
 * Every figure comes from the instruments in instrument.ts; nothing in the pipeline is changed.
 */
import { readFile, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { ClusterAvailable, ClusterCreated, ClusterRenamed } from "@aurora-restore/core/events/domain";
import { planLimits } from "@aurora-restore/core/plan/schema";
import { localTableNames } from "@aurora-restore/local/runtime/local-dynamo";
import { requestManualRestore } from "@aurora-restore/local/runtime/manual-restore";
import { listAllOperations } from "@aurora-restore/local/runtime/open-state";
import type { PortCall } from "@aurora-restore/local/runtime/port-counters";
import {
  production,
  type ReliabilityWorld,
  source,
  startReliabilityWorld,
} from "../packages/local/test/reliability/support/world";
import {
  AvailabilityTracker,
  BridgeTap,
  DynamoCounter,
  HandlerRecorder,
  median,
  percentile,
  round,
} from "./instrument";

export type WorkerRequest =
  | { scenario: "single"; detection: { withEvents: number; watcherOnly: number }; resultFile: string }
  | { scenario: "throughput"; operations: number; stallMs: number; resultFile: string };

/** The local watcher's schedule: the runtime's default (the deployed schedule is 1 minute). */
export const WATCHER_INTERVAL_MS = 1_000;

export interface OperationCosts {
  operations: number;
  dynamoWritesPerOp: number;
  dynamoReadsPerOp: number;
  /** Items written per operation (a transaction's items each count). */
  dynamoWriteItemsPerOp: number;
  /** Write capacity units the writes consumed per operation (what on-demand DynamoDB bills). */
  dynamoWriteUnitsPerOp: number;
  auditWritesPerOp: number;
  stateWritesPerOp: number;
  /** RDS calls by the stages, the watcher's excluded. */
  rdsCallsPerOp: number;
  rdsDescribesPerOp: number;
  watcherRdsCallsPerOp: number;
  watcherRdsDescribesPerOp: number;
  /** Pipeline events the stages (watcher included) put on the bus. */
  eventsPerOp: number;
  /** Events RDS emitted (snapshot, cluster, instance). */
  rdsEventsPerOp: number;
  /** Event deliveries to handlers (RDS events to the watcher included; its scheduled runs are not). */
  handlerInvocationsPerOp: number;
  /** The watcher's scheduled runs during the measurement (not per operation: one per tick). */
  watcherScheduledRuns: number;
  /** The watcher's runs woken in process by the local RDS's changes and new watches (not per operation). */
  watcherWakeupRuns: number;
  failedInvocations: number;
  /** From an event's PutEvents to its handler starting. */
  eventOverheadP50Ms: number | undefined;
  eventOverheadP99Ms: number | undefined;
  rdsCallsByName: Record<string, number>;
  /** RDS calls per operation by stage and call, e.g. { "restore describeCluster": 1 }. */
  rdsCallsByStage: Record<string, number>;
  dynamoByCommand: Record<string, number>;
  /** Write and read requests per operation, by what they touch (operation, auditentry, watch, effect, ...). */
  dynamoWritesByEntity: Record<string, number>;
  dynamoReadsByEntity: Record<string, number>;
  /** Write units per operation, by entity. */
  dynamoWriteUnitsByEntity: Record<string, number>;
  invocationsByService: Record<string, number>;
}

interface Instruments {
  world: ReliabilityWorld;
  dynamo: DynamoCounter;
  handlers: HandlerRecorder;
  tap: BridgeTap;
  /** Ids of the watcher's runs woken in process (runtime.watcherWakeups): their checks' causation id. */
  wakeupRuns: Set<string>;
}

async function start(tracker?: AvailabilityTracker): Promise<Instruments> {
  tracker?.install();
  const handlers = new HandlerRecorder();
  const world = await startReliabilityWorld({
    watcherIntervalMs: WATCHER_INTERVAL_MS,
    loadHandler: handlers.loader,
  });
  const dynamo = new DynamoCounter();
  dynamo.install(world.runtime.dynamo.client);
  const tap = new BridgeTap();
  tap.install(world.runtime.bridge);
  const wakeupRuns = new Set<string>();
  world.runtime.watcherWakeups.observe((runId) => wakeupRuns.add(runId));
  return { world, dynamo, handlers, tap, wakeupRuns };
}

function resetCounters(i: Instruments): void {
  i.dynamo.reset();
  i.handlers.reset();
  i.tap.reset();
  i.world.runtime.calls.reset();
  i.wakeupRuns.clear();
}

export function costsOf(i: Instruments, operations: number): OperationCosts {
  const per = (n: number) => round(n / operations, 2) ?? 0;
  const d = i.dynamo.counts;
  const calls: readonly PortCall[] = i.world.runtime.calls.calls;
  const rds = calls.filter((c) => c.port === "rds");
  const isDescribe = (c: PortCall) => /^(describe|list)/.test(c.call);
  const stageRds = rds.filter((c) => c.stage !== "watcher");
  const watcherRds = rds.filter((c) => c.stage === "watcher");
  const rdsCallsByName: Record<string, number> = {};
  const rdsCallsByStage: Record<string, number> = {};
  for (const c of rds) {
    rdsCallsByName[c.call] = (rdsCallsByName[c.call] ?? 0) + 1;
    const key = `${c.stage} ${c.call}`;
    rdsCallsByStage[key] = (rdsCallsByStage[key] ?? 0) + 1;
  }
  const delivered = i.handlers.invocations.filter((v) => v.detailType !== "Scheduled Event");
  const invocationsByService: Record<string, number> = {};
  for (const v of delivered) invocationsByService[v.service] = (invocationsByService[v.service] ?? 0) + 1;
  const overheads = delivered.flatMap((v) => {
    const put = i.tap.putAt.get(v.eventId);
    return put ? [v.startedAt - put.at] : [];
  });
  const perOpRecord = (r: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(r)
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => [k, per(n)]),
    );
  return {
    operations,
    dynamoWritesPerOp: per(d.writes),
    dynamoReadsPerOp: per(d.reads),
    dynamoWriteItemsPerOp: per(d.writeItems),
    dynamoWriteUnitsPerOp: per(d.writeUnits),
    auditWritesPerOp: per(d.writesByTable[localTableNames.audit] ?? 0),
    stateWritesPerOp: per(d.writesByTable[localTableNames.state] ?? 0),
    rdsCallsPerOp: per(stageRds.length),
    rdsDescribesPerOp: per(stageRds.filter(isDescribe).length),
    watcherRdsCallsPerOp: per(watcherRds.length),
    watcherRdsDescribesPerOp: per(watcherRds.filter(isDescribe).length),
    eventsPerOp: per(calls.filter((c) => c.port === "events").length),
    rdsEventsPerOp: per(i.tap.rdsEvents),
    handlerInvocationsPerOp: per(delivered.length),
    watcherScheduledRuns: i.handlers.invocations.length - delivered.length,
    watcherWakeupRuns: i.wakeupRuns.size,
    failedInvocations: delivered.filter((v) => !v.ok).length,
    eventOverheadP50Ms: round(percentile(overheads, 50)),
    eventOverheadP99Ms: round(percentile(overheads, 99)),
    rdsCallsByName: perOpRecord(rdsCallsByName),
    rdsCallsByStage: perOpRecord(rdsCallsByStage),
    dynamoByCommand: perOpRecord(d.byCommand),
    dynamoWritesByEntity: perOpRecord(d.writesByEntity),
    dynamoReadsByEntity: perOpRecord(d.readsByEntity),
    dynamoWriteUnitsByEntity: perOpRecord(d.writeUnitsByEntity),
    invocationsByService: perOpRecord(invocationsByService),
  };
}

/** Waits until `count` operations put their final event, or nothing moved for `stallMs`. */
async function waitForEnds(i: Instruments, count: number, stallMs: number, only?: string): Promise<void> {
  let seen = -1;
  let movedAt = performance.now();
  for (;;) {
    const ended = only ? (i.tap.ended.has(only) ? 1 : 0) : i.tap.ended.size;
    if (ended >= count) return;
    const moved = i.handlers.delivered;
    if (moved !== seen) {
      seen = moved;
      movedAt = performance.now();
    } else if (performance.now() - movedAt > stallMs) {
      return;
    }
    await sleep(50);
  }
}

async function outcomes(i: Instruments, plans: (planId: string) => boolean, expected: number) {
  i.dynamo.counting = false;
  const mine = (await listAllOperations(i.world.runtime.store)).filter((o) => plans(o.planId));
  const ended = mine.filter((o) => o.status !== "running");
  const failed = mine.filter((o) => o.status === "failed");
  const reasons = new Map<string, { count: number; example: string }>();
  for (const o of failed) {
    const key = `${o.error?.stage ?? "?"}: ${o.error?.code ?? "?"}`;
    const entry = reasons.get(key) ?? { count: 0, example: (o.error?.message ?? "").slice(0, 240) };
    entry.count += 1;
    reasons.set(key, entry);
  }
  const stuck = new Map<string, number>();
  for (const o of mine.filter((x) => x.status === "running")) stuck.set(o.step, (stuck.get(o.step) ?? 0) + 1);
  return {
    created: mine.length,
    succeeded: mine.filter((o) => o.status === "succeeded").length,
    failed: failed.length,
    lost: expected - ended.length,
    failures: [...reasons].map(([reason, r]) => ({ reason, count: r.count, example: r.example })),
    stillRunningBySteps: Object.fromEntries(stuck),
  };
}

async function throughput(request: Extract<WorkerRequest, { scenario: "throughput" }>) {
  const i = await start();
  try {
    const n = request.operations;
    // A plan has at most planLimits.targets targets: N targets are as many plans on the same source, each
    // reacting to its manual snapshots, so one snapshot still starts all N refreshes at once.
    for (let k = 0; k * planLimits.targets < n; k++) {
      const count = Math.min(planLimits.targets, n - k * planLimits.targets);
      const id = `scale-${String(k + 1).padStart(2, "0")}`;
      await i.world.plan(id, `s${String(k + 1).padStart(2, "0")}`, count);
    }
    await i.world.runtime.idle();
    const rssBeforeMb = process.memoryUsage().rss / 2 ** 20;
    resetCounters(i);
    const load = loadavg();
    const windowStartUs = Number(process.hrtime.bigint() / 1000n);
    const cpu = process.cpuUsage();
    const started = performance.now();
    await i.world.snapshot("scale-1");
    await waitForEnds(i, n, request.stallMs);
    const lastEnd = Math.max(...[...i.tap.ended.values()].map((e) => e.at), started);
    const wallMs = lastEnd - started;
    await i.world.runtime.idle();
    const windowEndUs = Number(process.hrtime.bigint() / 1000n);
    const used = process.cpuUsage(cpu);
    i.handlers.recording = false;
    const costs = costsOf(i, n);
    const result = await outcomes(i, (planId) => planId.startsWith("scale-"), n);
    const completed = result.succeeded + result.failed;
    return {
      ...costs,
      wallMs: Math.round(wallMs),
      opsPerSec: round((completed / wallMs) * 1000, 3),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      rssBeforeMb: Math.round(rssBeforeMb),
      /** CPU time (user + system) of the process from the snapshot to idle: less sensitive to load than wall. */
      cpuMsPerOp: Math.round((used.user + used.system) / 1000 / n),
      lost: result.lost,
      failed: result.failed,
      succeeded: result.succeeded,
      failures: result.failures,
      stillRunningBySteps: result.stillRunningBySteps,
      loadAverage: load.map((l) => round(l, 2)),
      /** From the snapshot to idle, on the clock CPU profiles use (µs): the profile summary keeps this window. */
      profileWindowUs: [windowStartUs, windowEndUs],
    };
  } finally {
    await i.world.stop();
  }
}

interface DetectionSample {
  mode: "withEvent" | "watcherOnly";
  detailType: string;
  service: string;
  resource: string;
  /**
   * What woke the watcher: its scheduled run, the RDS event naming the resource, or the local runtime's
   * in-process wake-up (the local RDS saw the resource change, or a stage had just added the watch).
   */
  via: "tick" | "rds-event" | "local-wakeup";
  readyToPublishMs: number;
  publishToStageMs: number;
  totalMs: number;
}

const eventCapable = new Set<string>([
  ClusterCreated.detailType,
  ClusterAvailable.detailType,
  ClusterRenamed.detailType,
]);

function detectionSamples(
  i: Instruments,
  tracker: AvailabilityTracker,
  operationId: string,
  mode: DetectionSample["mode"],
): DetectionSample[] {
  const watcherRuns = new Map(
    i.handlers.invocations.filter((v) => v.service === "watcher").map((v) => [v.eventId, v.detailType]),
  );
  const seen = new Set<string>();
  const samples: DetectionSample[] = [];
  for (const v of i.handlers.invocations) {
    if (v.operationId !== operationId || v.service === "watcher") continue;
    if (!v.causationId || seen.has(v.eventId)) continue;
    const woken = i.wakeupRuns.has(v.causationId);
    if (!woken && !watcherRuns.has(v.causationId)) continue;
    seen.add(v.eventId);
    const put = i.tap.putAt.get(v.eventId);
    if (!put) continue;
    const ready = tracker.events.filter((a) => a.at <= put.at).at(-1);
    if (!ready) continue;
    samples.push({
      mode,
      detailType: v.detailType,
      service: v.service,
      resource: `${ready.kind} ${ready.identifier}`,
      via: woken
        ? "local-wakeup"
        : watcherRuns.get(v.causationId) === "Scheduled Event"
          ? "tick"
          : "rds-event",
      readyToPublishMs: round(put.at - ready.at) ?? 0,
      publishToStageMs: round(v.startedAt - put.at) ?? 0,
      totalMs: round(v.startedAt - ready.at) ?? 0,
    });
  }
  return samples;
}

async function single(request: Extract<WorkerRequest, { scenario: "single" }>) {
  const tracker = new AvailabilityTracker();
  const i = await start(tracker);
  try {
    await i.world.plan("single", "one", 1);
    await i.world.runtime.idle();
    resetCounters(i);
    const load = loadavg();
    const cpu = process.cpuUsage();
    const started = performance.now();
    await i.world.snapshot("single-1");
    await waitForEnds(i, 1, 60_000);
    const operationMs = Math.max(...[...i.tap.ended.values()].map((e) => e.at), started) - started;
    await i.world.runtime.idle();
    const used = process.cpuUsage(cpu);
    const costs = costsOf(i, 1);
    const result = await outcomes(i, (planId) => planId === "single", 1);
    i.dynamo.counting = true;
    const [first] = [...i.tap.ended.keys()];
    const samples = first ? detectionSamples(i, tracker, first, "withEvent") : [];

    // One refresh at a time, on targets of a plan registered after the snapshot (so it does not react to
    // it), each asked for by a manual request naming that snapshot's day.
    const total = request.detection.withEvents + request.detection.watcherOnly;
    const targets = await i.world.plan("detect", "detect", total);
    const snapshot = await i.world.runtime.rds
      .port(production)
      .listClusterSnapshots({ clusterIdentifier: source });
    const day = (snapshot[0]?.createdAt ?? new Date().toISOString()).slice(0, 10);
    for (const [index, target] of targets.entries()) {
      const mode = index < request.detection.withEvents ? "withEvent" : "watcherOnly";
      i.tap.dropRdsResourceEvents = mode === "watcherOnly";
      const { operationId } = await requestManualRestore(i.world.runtime, {
        targetClusterId: target,
        sourceSnapshotDate: day,
        requestedBy: "bench",
      });
      await waitForEnds(i, 1, 60_000, operationId);
      await i.world.runtime.idle();
      samples.push(...detectionSamples(i, tracker, operationId, mode));
    }
    i.tap.dropRdsResourceEvents = false;
    const of = (mode: DetectionSample["mode"], capable: boolean) =>
      samples
        .filter((s) => s.mode === mode && eventCapable.has(s.detailType) === capable)
        .map((s) => s.totalMs);
    return {
      perOperation: {
        ...costs,
        operationMs: Math.round(operationMs),
        cpuMsPerOp: Math.round((used.user + used.system) / 1000),
        succeeded: result.succeeded,
        failed: result.failed,
        failures: result.failures,
        loadAverage: load.map((l) => round(l, 2)),
      },
      detection: {
        withEvent: round(median(of("withEvent", true))),
        watcherOnly: round(median(of("watcherOnly", true))),
        snapshotCopyWithEvent: round(median(of("withEvent", false))),
        snapshotCopyWatcherOnly: round(median(of("watcherOnly", false))),
        watcherIntervalMs: WATCHER_INTERVAL_MS,
        operations: {
          withEvent: 1 + request.detection.withEvents,
          watcherOnly: request.detection.watcherOnly,
        },
        droppedRdsEvents: i.tap.droppedRdsEvents,
        samples,
        loadAverage: loadavg().map((l) => round(l, 2)),
      },
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    await i.world.stop();
    tracker.uninstall();
  }
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const raw = process.argv[2];
if (!raw) throw new Error("usage: instant-worker.ts '<json request>' (started by bench/instant.ts)");
const request = JSON.parse(raw.startsWith("@") ? await readFile(raw.slice(1), "utf8") : raw) as WorkerRequest;
const result = request.scenario === "single" ? await single(request) : await throughput(request);
await writeFile(request.resultFile, JSON.stringify(result));
