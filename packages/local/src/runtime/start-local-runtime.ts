import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { createPgDatabase } from "@aurora-restore/aws/postgres";
import { DEFAULT_PIPELINE_BUS } from "@aurora-restore/core/events/names";
import type { StageName } from "@aurora-restore/core/events/shapes";
import type { Plan } from "@aurora-restore/core/plan/index";
import type { AccountRegion, DatabasePort, EventPublisherPort } from "@aurora-restore/core/ports/index";
import type { StageDeps } from "@aurora-restore/core/stages/kit";
import { resumeWorkOfDeadProcess } from "@aurora-restore/core/stages/kit";
import { asDelivery } from "@aurora-restore/core/stages/kit/lease";
import { onResourcesChanged } from "@aurora-restore/core/stages/watcher";
import { type AuditLog, createAuditLog } from "@aurora-restore/core/storage/audit";
import { createOperationStore, type OperationStore } from "@aurora-restore/core/storage/operations";
import type { StageDeclaration } from "@aurora-restore/core/wiring/stage-declaration";
import { stages as declaredStages } from "@aurora-restore/functions/stages";
import { type EventBus, LocalEventBridge, type RetryPolicy } from "../eventbridge/index";
import { LocalKms } from "../kms/local-kms";
import type { ClusterMode } from "../rds/cluster-data";
import { LocalSecretsManager } from "../secrets/local-secrets";
import { LocalSns } from "../sns/local-sns";
import { ensurePrivateDir, resolveStateDir } from "../state-dir";
import { type LineWriter, type LogLevel, logLevelOf, MetricsRecorder } from "./console-logger";
import { type LocalDynamo, startLocalDynamo } from "./local-dynamo";
import { createLocalRds, type LocalRdsHandle, type LocalRdsTimings } from "./local-rds-adapter";
import { ensurePipelineArchives, type LocalArchives } from "./pipeline-archives";
import { localPipelineLocation } from "./pipeline-location";
import { PlanRegistry } from "./plan-registry";
import { PortCounters } from "./port-counters";
import { depsFor, type SharedDeps } from "./stage-deps";
import {
  forwardedPatterns,
  forwardToPipeline,
  importStageHandler,
  type StageHandlerModule,
  wireStages,
} from "./stage-wiring";
import { WatcherSchedule } from "./watcher-schedule";
import { WatcherWakeups } from "./watcher-wakeups";

export { localPipelineLocation };
export const localTopicName = "aurora-restore-notifications";

export interface LocalRuntimeOptions {
  /** State folder (default: AURORA_RESTORE_STATE_DIR, then ./.aurora-restore). */
  stateDir?: string;
  pipeline?: AccountRegion;
  busName?: string;
  /** Where the stages' log lines go (default: <stateDir>/logs/pipeline.log). Never carries secrets. */
  log?: LineWriter;
  /**
   * The stages' log level (default: AURORA_RESTORE_LOG_LEVEL, else info). `debug` adds a line per event
   * a stage receives (its detail, sanitized) and per delivery handled.
   */
  logLevel?: LogLevel;
  /** Where SNS announces notifications (default: nowhere; they are in <stateDir>/sns/messages.jsonl). */
  console?: LineWriter;
  /**
   * How often the watcher runs (its schedule; it checks each watch on the watch's own back-off schedule, and
   * RDS events and the local RDS's status changes make it look at a resource sooner). Default 1 s.
   */
  watcherIntervalMs?: number;
  /** Simulated durations of the local RDS (copy, restore, instance creation...). */
  rdsTimings?: LocalRdsTimings;
  /**
   * "postgres" (default): every cluster is a real PostgreSQL server. "instant": the local RDS keeps its whole
   * API but creates no server and copies no data (a cluster is a record of its roles and table catalogue),
   * and the stages' DatabasePort answers from those records: for scale and reliability tests.
   */
  clusters?: ClusterMode;
  /** The local RDS's clock (snapshot names, event times); tests move it to take two automated snapshots in a minute. */
  rdsClock?: () => Date;
  stages?: readonly StageDeclaration[];
  /** How a stage's handler module is loaded (default: imported from its declared path). */
  loadHandler?: (stage: StageDeclaration) => Promise<StageHandlerModule>;
  clock?: () => Date;
  /** How long a claim on a step lasts (default: the Lambda timeout, lease.ts); tests of crashes shorten it. */
  leaseMs?: number;
  /**
   * The retry policy of every stage's rule target (default: 4 retries within 10 minutes, so a failing
   * handler is dead-lettered within seconds). A deployed stage retries 185 times (deploy config's
   * `delivery`); the fault suite uses that, with the local bus's short backoff.
   */
  deliveryRetryPolicy?: Partial<RetryPolicy>;
  /**
   * Says in the state folder's lock that this runtime takes requests from other processes (`local up`, see
   * control/request-channel.ts); the caller serves them.
   */
  servesRequests?: boolean;
}

export interface LocalRuntime {
  stateDir: string;
  pipeline: AccountRegion;
  busName: string;
  topicArn: string;
  bridge: LocalEventBridge;
  pipelineBus: EventBus;
  /** The pipeline account's default bus: RDS events arrive there, other accounts' forwarded. */
  pipelineDefaultBus: EventBus;
  /** The archives replays read: the pipeline bus's events, and the RDS events on the default bus. */
  archives: LocalArchives;
  dynamo: LocalDynamo;
  store: OperationStore;
  audit: AuditLog;
  plans: PlanRegistry;
  kms: LocalKms;
  secrets: LocalSecretsManager;
  sns: LocalSns;
  rds: LocalRdsHandle;
  /** The DatabasePort the stages use (uncounted): verified TLS to PostgreSQL, or the instant clusters'. */
  database: DatabasePort;
  /** Wakes the watcher for a resource the local RDS saw change, or a stage just began to watch (in process). */
  watcherWakeups: WatcherWakeups;
  /** Every call the stages made through their ports (RDS, KMS, Secrets Manager, SNS, PutEvents, database). */
  calls: PortCounters;
  metrics: MetricsRecorder;
  logFile?: string;
  /** The deps a stage gets (for tests, and CLI commands acting as "cli"). */
  depsFor(stage: StageName | "cli"): StageDeps;
  /** Validates and stores a plan, and forwards its accounts' RDS events to the pipeline account. */
  registerPlan(input: unknown, origin?: string): Promise<Plan>;
  /** Resolves when no event delivery is pending and the local RDS has no work in progress. */
  idle(): Promise<void>;
  /** Stops the watcher, lets deliveries settle, then stops every server. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts the embedded default: dynalite, KMS, Secrets Manager, SNS, RDS on PostgreSQL, buses, stages. */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const stateDir = resolveStateDir({ stateDir: options.stateDir });
  await ensurePrivateDir(stateDir);
  const pipeline = options.pipeline ?? localPipelineLocation;
  const busName = options.busName ?? DEFAULT_PIPELINE_BUS;
  const clock = options.clock ?? (() => new Date());
  const leaseOwner = `runtime-${process.pid}-${randomBytes(4).toString("hex")}`;
  const stageList = options.stages ?? declaredStages;
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    let logFile: string | undefined;
    let log = options.log;
    if (!log) {
      logFile = join(await ensurePrivateDir(stateDir, "logs"), "pipeline.log");
      const stream = createWriteStream(logFile, { flags: "a", mode: 0o600 });
      cleanups.push(() => new Promise<void>((resolve) => stream.end(() => resolve())));
      log = { write: (line: string) => stream.write(line) };
    }

    const dynamo = await startLocalDynamo({
      stateDir,
      ...(options.servesRequests ? { servesRequests: true } : {}),
    });
    cleanups.push(() => dynamo.stop());
    const store = createOperationStore(dynamo.client, dynamo.tables.state);
    const audit = createAuditLog(dynamo.client, dynamo.tables.audit);

    const kms = new LocalKms({ stateDir });
    const secrets = new LocalSecretsManager({ stateDir, kms });
    const sns = new LocalSns({ stateDir, ...(options.console ? { console: options.console } : {}) });
    const { topicArn } = await sns.createTopic({ ...pipeline, name: localTopicName });

    const bridge = new LocalEventBridge({
      stateDir,
      account: pipeline.accountId,
      region: pipeline.region,
      // Locally a failed delivery is retried within seconds, not over 24 hours.
      backoff: { baseDelayMs: 250, maxDelayMs: 4_000 },
      onUndeliverable: (job, error) =>
        log.write(`[eventbridge] ERROR undeliverable event ${job.event.id}: ${(error as Error).message}\n`),
    });
    // Running deliveries finish; retries waiting on backoff are dead-lettered (re-drivable), not awaited.
    cleanups.push(() => bridge.stop());
    const pipelineBus = bridge.ensureEventBus(busName, {
      account: pipeline.accountId,
      region: pipeline.region,
    });
    const pipelineDefaultBus = bridge.eventBus("default", {
      account: pipeline.accountId,
      region: pipeline.region,
    });
    const archives = ensurePipelineArchives(
      bridge,
      { pipeline: pipelineBus, default: pipelineDefaultBus },
      stageList,
    );

    // The watcher looks at a resource as soon as the local RDS says it changed: runs wait for start() below.
    const watcherWakeups = new WatcherWakeups({
      // A run of its own (its audit records are its own), not part of the delivery whose change woke it.
      check: (changed, runId) => {
        const watcher = deps("watcher");
        return asDelivery(watcher, () => onResourcesChanged(watcher, changed, runId));
      },
      onError: (error) =>
        log.write(`[watcher] ERROR check on a local RDS change failed: ${(error as Error).message}\n`),
    });
    const rds = await createLocalRds({
      onResourcesChanged: (changes) => watcherWakeups.resourcesChanged(changes),
      stateDir,
      kms,
      ...(options.rdsTimings ? { timings: options.rdsTimings } : {}),
      ...(options.rdsClock ? { clock: options.rdsClock } : {}),
      ...(options.clusters ? { clusters: options.clusters } : {}),
      onWarning: (message) => log.write(`[rds] WARN ${message}\n`),
      emit: async (event) => {
        const result = await bridge.putEvents(
          [
            {
              Source: event.source,
              DetailType: event["detail-type"],
              Detail: JSON.stringify(event.detail),
              Resources: event.resources,
              Time: new Date(event.time),
              EventBusName: "default",
            },
          ],
          { account: event.account, region: event.region },
          { awsServiceSource: event.source },
        );
        if (result.FailedEntryCount > 0) {
          log.write(`[rds] WARN event not delivered: ${result.Entries[0]?.ErrorMessage}\n`);
        }
      },
    });
    cleanups.push(() => rds.stop());
    const database = rds.instant?.database ?? createPgDatabase({ ca: rds.caPem });
    const calls = new PortCounters();

    const publisher: EventPublisherPort = {
      async putEvents(entries) {
        const result = await bridge.putEvents(entries, {
          account: pipeline.accountId,
          region: pipeline.region,
        });
        if (result.FailedEntryCount > 0) {
          const failed = result.Entries.find((e) => e.ErrorCode);
          throw new Error(`PutEvents to ${busName} failed: ${failed?.ErrorCode} ${failed?.ErrorMessage}`);
        }
        return result;
      },
    };
    const plans = new PlanRegistry(stateDir);
    const metrics = new MetricsRecorder();
    // A stage records its watch after starting the copy, restore or rename, which may be done already (the
    // change came before the watch): then the watcher looks at the new watch at once. So does a retry that
    // waits on a resource the failed run kept.
    const stagesStore: OperationStore = {
      ...store,
      async startWatch(current, watch) {
        const waiting = await store.startWatch(current, watch);
        if (waiting) watcherWakeups.watchAdded(watch);
        return waiting;
      },
      async reopen(operationId, input) {
        const reopened = await store.reopen(operationId, input);
        if (reopened && input.watch) watcherWakeups.watchAdded(input.watch);
        return reopened;
      },
    };
    const shared: SharedDeps = {
      store: stagesStore,
      audit,
      publisher,
      plans,
      rds: (scope) => rds.port(scope),
      kms,
      secrets,
      sns,
      database,
      busName,
      topicArn,
      clock,
      log,
      logLevel: options.logLevel ?? logLevelOf(process.env.AURORA_RESTORE_LOG_LEVEL) ?? "info",
      metrics,
      leaseOwner,
      ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    };
    const depsCache = new Map<string, StageDeps>();
    const deps = (stage: StageName | "cli") => {
      const existing = depsCache.get(stage);
      if (existing) return existing;
      const created = calls.wrapDeps(depsFor(shared, stage), stage);
      depsCache.set(stage, created);
      return created;
    };

    const handlers = new Map<string, StageHandlerModule>();
    const loadHandler = options.loadHandler ?? importStageHandler;
    for (const stage of stageList) handlers.set(stage.name, await loadHandler(stage));
    wireStages({
      pipelineBus,
      pipelineDefaultBus,
      stages: stageList,
      handlers,
      deps,
      retryPolicy: options.deliveryRetryPolicy ?? { maximumRetryAttempts: 4, maximumEventAgeInSeconds: 600 },
      onFailure: (stage, event, error) =>
        log.write(
          `[${stage}] ERROR ${event["detail-type"]} ${event.id} failed (will retry, then dead-letter): ${(error as Error).message}\n`,
        ),
    });
    const patterns = forwardedPatterns(stageList);
    const connectPlan = (plan: Plan) => {
      for (const location of [plan.source, ...plan.targets]) {
        forwardToPipeline(bridge, location, pipelineDefaultBus, patterns);
      }
    };
    for (const plan of await plans.list().catch(() => [])) connectPlan(plan);

    const schedules = stageList.filter((s) => s.schedule);
    const watchers = schedules.map(
      (stage) =>
        new WatcherSchedule({
          stage: stage.name,
          handler: handlers.get(stage.name)!,
          deps: deps(stage.name),
          location: pipeline,
          intervalMs: options.watcherIntervalMs ?? 1_000,
          clock,
          onError: (error) =>
            log.write(`[${stage.name}] ERROR scheduled run failed: ${(error as Error).message}\n`),
        }),
    );
    // What a dead process left resumes now: its steps, the events it had not delivered, its operations'
    // notifications and cleanups (resume-at-start.ts).
    const resumed = await resumeWorkOfDeadProcess(deps("watcher"), leaseOwner);
    if (resumed.leasesEnded.length > 0) {
      log.write(
        `[runtime] resuming ${resumed.leasesEnded.length} step(s) a stopped process left: ${resumed.leasesEnded.join(", ")}\n`,
      );
    }
    if (resumed.outcomesRepublished.length > 0) {
      log.write(
        `[runtime] notifying and cleaning up ${resumed.outcomesRepublished.length} ended operation(s) a stopped process left: ${resumed.outcomesRepublished.join(", ")}\n`,
      );
    }
    for (const watcher of watchers) {
      watcher.start();
      cleanups.push(() => watcher.stop());
    }
    // Watches a previous process recorded: the local RDS's changes of what they name wake the watcher too.
    for (const waiting of await store.waitingOnWatches()) {
      if (waiting.watch) watcherWakeups.watchAdded(waiting.watch);
    }
    watcherWakeups.start();
    cleanups.push(() => watcherWakeups.stop());

    let stopped: Promise<void> | undefined;
    return {
      stateDir,
      pipeline,
      busName,
      topicArn,
      bridge,
      pipelineBus,
      pipelineDefaultBus,
      archives,
      dynamo,
      store,
      audit,
      plans,
      kms,
      secrets,
      sns,
      rds,
      database,
      watcherWakeups,
      calls,
      metrics,
      ...(logFile ? { logFile } : {}),
      depsFor: deps,
      async registerPlan(input, origin) {
        const plan = await plans.register(input, origin);
        connectPlan(plan);
        return plan;
      },
      async idle() {
        await bridge.drain();
        await rds.idle();
        await watcherWakeups.idle();
        await bridge.drain();
      },
      stop() {
        stopped ??= stopAll();
        return stopped;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
