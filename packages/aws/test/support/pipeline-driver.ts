import type {
  DatabasePort,
  DbSession,
  OperationInfo,
  Plan,
  PutEventsEntry,
  StageDeps,
  StageName,
} from "@aurora-restore/core";
import { RDS_SOURCE, rdsDetailTypes, rdsEventIds } from "@aurora-restore/core";
import { createAuditLog, createOperationStore } from "@aurora-restore/core/storage/index";
import { handle as cleanup } from "@aurora-restore/functions/cleanup/handler";
import { handle as configure } from "@aurora-restore/functions/configure/handler";
import { handle as copy } from "@aurora-restore/functions/copy/handler";
import { handle as cutover } from "@aurora-restore/functions/cutover/handler";
import { handle as notify } from "@aurora-restore/functions/notify/handler";
import { handle as prepare } from "@aurora-restore/functions/prepare/handler";
import { handle as restore } from "@aurora-restore/functions/restore/handler";
import { staticPlanSource } from "@aurora-restore/functions/runtime/plans";
import { ASYNC_RETRIES } from "@aurora-restore/functions/shared/deploy/function-settings";
import {
  type Deployment,
  deploymentNames,
  permissionContextFor,
} from "@aurora-restore/functions/shared/deploy/names";
import { secretKeyFor, withSecretKeys } from "@aurora-restore/functions/shared/secret-keys";
import { stages } from "@aurora-restore/functions/stages";
import { handle as trigger } from "@aurora-restore/functions/trigger/handler";
import { handle as verify } from "@aurora-restore/functions/verify/handler";
import { handle as watcher } from "@aurora-restore/functions/watcher/handler";
import { createTables, type DynamoBackend } from "../../../core/test/support/dynamo";
import {
  createAwsEventPublisher,
  createAwsKms,
  createAwsRds,
  createAwsSecrets,
  createAwsSns,
} from "../../src/index";
import type { AwsWorld } from "./aws-world";

/**
 * Runs the pipeline's real handlers (packages/functions) over the AWS adapters, with the SDK answered by an
 * AwsWorld: each published event goes to the stages that subscribe to it (their declarations), a failed
 * invocation is retried twice as Lambda's asynchronous invocation does, and between deliveries the
 * watcher ticks with the world settled. The world records which function made each AWS call.
 */

type Handle = (event: unknown, deps: StageDeps) => Promise<void>;

const handlers: Record<StageName, Handle> = {
  trigger,
  prepare,
  copy,
  restore,
  configure,
  verify,
  cutover,
  notify,
  cleanup,
  watcher,
};

/** Lambda retries a failed asynchronous invocation as the stacks configure it. */
const LAMBDA_RETRIES = ASYNC_RETRIES;

export interface RawEvent {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** PostgreSQL as configure and verify see it: logins succeed; checks pass unless told otherwise. */
export function fakeDatabase(options: { checksPass?: boolean } = {}): DatabasePort {
  const pass = options.checksPass ?? true;
  const session: DbSession = {
    async query<Row extends Record<string, unknown>>(text: string) {
      const rows: Record<string, unknown>[] = /pg_roles/.test(text)
        ? []
        : /to_regclass/.test(text)
          ? [{ present: pass }]
          : /count\(\*\)/.test(text)
            ? [{ count: pass ? "42" : "0" }]
            : [];
      return { rows: rows as Row[], rowCount: rows.length > 0 ? rows.length : 1 };
    },
    escapeIdentifier: (name) => `"${name.replaceAll('"', '""')}"`,
    escapeLiteral: (value) => `'${value.replaceAll("'", "''")}'`,
    close: async () => {},
  };
  return { connect: async () => session };
}

export interface PipelineOptions {
  backend: DynamoBackend;
  world: AwsWorld;
  /** Where the target stage runs (its account and region) and its name. */
  at: Deployment;
  plans: Plan[];
  database?: DatabasePort;
  startAt?: string;
}

export interface DeadLetter {
  service: StageName;
  detailType: string;
  error: string;
}

export class PipelineRun {
  readonly deps: StageDeps;
  readonly deadLetters: DeadLetter[] = [];
  /** Every event delivered, in order: `<detail-type> -> <service>`. */
  readonly deliveries: string[] = [];
  private readonly queue: RawEvent[] = [];
  private delivered = 0;
  private now: number;
  private events = 0;

  private constructor(
    private readonly world: AwsWorld,
    private readonly at: Deployment,
    deps: Omit<StageDeps, "clock">,
    startAt: string,
  ) {
    this.now = Date.parse(startAt);
    this.deps = {
      ...deps,
      clock: () => {
        this.now += 1000;
        return new Date(this.now);
      },
    };
  }

  static async start(options: PipelineOptions): Promise<PipelineRun> {
    const { world, at } = options;
    const { client, stateTable, auditTable } = await createTables(options.backend);
    const context = permissionContextFor(at, options.plans);
    world.mapTable(stateTable, context.stateTableArn);
    world.mapTable(auditTable, context.auditTableArn);
    world.recordDynamo(client, at);
    const busName = deploymentNames(at.stage).bus;
    const clients = world.clients;
    const self = { accountId: at.accountId, region: at.region };
    return new PipelineRun(
      world,
      at,
      {
        store: createOperationStore(client, stateTable),
        audit: createAuditLog(client, auditTable),
        publisher: createAwsEventPublisher(self, { clients, eventBusName: busName }),
        plans: staticPlanSource(options.plans),
        rds: (scope) => createAwsRds(scope, { clients }),
        kms: (scope) => createAwsKms(scope, { clients }),
        // As runtime/aws-deps.ts builds it: PCI and HIPAA secrets under the target's key.
        secrets: (scope) =>
          withSecretKeys(createAwsSecrets(scope, { clients }), secretKeyFor(options.plans, scope)),
        notifications: createAwsSns(self, { clients }),
        database: options.database ?? fakeDatabase(),
        busName,
        topicArn: context.topicArn,
        actor: "aurora-restore-test",
        generatePassword: () => `pw-${Math.random().toString(36).slice(2)}-0123456789abcdefghij`,
        logger: { info: () => {}, warn: () => {}, error: () => {} },
        metrics: { count: () => {}, durationMs: () => {} },
      },
      options.startAt ?? "2026-03-14T03:20:00Z",
    );
  }

  /** The RDS event of a new cluster snapshot, as the source account's rule forwards it to trigger. */
  snapshotCreated(snapshotArn: string, type: "automated" | "manual"): RawEvent {
    const [, , , region = "", account = "", , ...id] = snapshotArn.split(":");
    const event: RawEvent = {
      version: "0",
      id: `rds-${++this.events}`,
      "detail-type": rdsDetailTypes.clusterSnapshot,
      source: RDS_SOURCE,
      account,
      time: new Date(this.now).toISOString(),
      region,
      resources: [snapshotArn],
      detail: {
        EventCategories: ["backup"],
        SourceType: "CLUSTER_SNAPSHOT",
        SourceArn: snapshotArn,
        SourceIdentifier: id.join(":"),
        Date: new Date(this.now).toISOString(),
        Message: type === "automated" ? "Automated snapshot created" : "Manual snapshot created",
        EventID:
          type === "automated" ? rdsEventIds.automatedSnapshotCreated : rdsEventIds.manualSnapshotCreated,
      },
    };
    return event;
  }

  /**
   * Delivers `first` to trigger, then every published event to its subscribers, ticking the watcher in
   * between, until nothing runs any more (or `until` says so, or `maxTicks` ticks passed).
   */
  async run(
    first: RawEvent,
    options: { until?: (published: PutEventsEntry[]) => boolean; maxTicks?: number } = {},
  ) {
    await this.invoke("trigger", first);
    let quiet = 0;
    for (let tick = 0; tick < (options.maxTicks ?? 60); tick++) {
      if (await this.drain(options.until)) return;
      const running = await this.deps.store.listByStatus("running");
      if (running.length === 0 && this.queue.length === 0 && tick > 0) return;
      const before = this.world.published.length;
      this.world.settle();
      // Nothing moved for two ticks: let time pass, as stalled handoffs and deadlines need.
      this.now += quiet >= 2 ? 11 * 60_000 : 60_000;
      await this.invoke("watcher", this.scheduledTick());
      quiet = this.world.published.length === before ? quiet + 1 : 0;
    }
  }

  async operations(): Promise<OperationInfo[]> {
    const actor = this.world.actor;
    this.world.actor = "driver";
    try {
      return [
        ...(await this.deps.store.listByStatus("running")),
        ...(await this.deps.store.listByStatus("succeeded")),
        ...(await this.deps.store.listByStatus("failed")),
      ];
    } finally {
      this.world.actor = actor;
    }
  }

  private scheduledTick(): RawEvent {
    return {
      version: "0",
      id: `tick-${++this.events}`,
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: this.at.accountId,
      time: new Date(this.now).toISOString(),
      region: this.at.region,
      resources: [],
      detail: {},
    };
  }

  /** Delivers what was published; true when `until` is met (what it names is then not delivered). */
  private async drain(until?: (published: PutEventsEntry[]) => boolean): Promise<boolean> {
    for (;;) {
      if (until?.(this.world.published)) return true;
      while (this.delivered < this.world.published.length) {
        const entry = this.world.published[this.delivered++]!;
        this.queue.push({
          version: "0",
          id: `evt-${++this.events}`,
          "detail-type": entry.DetailType,
          source: entry.Source,
          account: this.at.accountId,
          time: new Date(this.now).toISOString(),
          region: this.at.region,
          resources: entry.Resources ?? [],
          detail: JSON.parse(entry.Detail) as Record<string, unknown>,
        });
      }
      const event = this.queue.shift();
      if (!event) return false;
      const consumers = stages.filter((s) =>
        s.subscriptions.some(
          (sub) => sub.bus === "pipeline" && sub.contracts.some((c) => c.detailType === event["detail-type"]),
        ),
      );
      for (const consumer of consumers) await this.invoke(consumer.name, event);
    }
  }

  private async invoke(service: StageName, event: RawEvent): Promise<void> {
    this.deliveries.push(`${event["detail-type"]} -> ${service}`);
    let lastError: unknown;
    for (let attempt = 0; attempt <= LAMBDA_RETRIES; attempt++) {
      this.world.actor = service;
      try {
        await handlers[service](event, this.deps);
        return;
      } catch (error) {
        lastError = error;
      } finally {
        this.world.actor = "driver";
      }
    }
    this.deadLetters.push({
      service,
      detailType: event["detail-type"],
      error: lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : String(lastError),
    });
  }
}
