import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { RestoreCompleted, RestoreFailed } from "@aurora-restore/core/events/domain";
import { RDS_SOURCE, rdsDetailTypes } from "@aurora-restore/core/events/rds";
import type { StageDeclaration } from "@aurora-restore/core/wiring/stage-declaration";
import type { LocalEventBridge } from "@aurora-restore/local/eventbridge/index";
import { type ClusterRecord, Registry } from "@aurora-restore/local/rds/registry";
import { importStageHandler, type StageHandlerModule } from "@aurora-restore/local/runtime/stage-wiring";

/**
 * What `npm run bench` observes in a local runtime without changing the pipeline: DynamoDB requests (a
 * wrapper on the document client's send), handler invocations (the runtime's `loadHandler` option), what is
 * put on the buses and when (a wrapper on the bridge's putEvents, which can also drop RDS's cluster and
 * instance events), and when RDS resources become available (a hook on the local RDS registry's save).
 * Times are performance.now() milliseconds.
 */

const writeCommands = new Set([
  "PutCommand",
  "UpdateCommand",
  "DeleteCommand",
  "TransactWriteCommand",
  "BatchWriteCommand",
  "PutItemCommand",
  "UpdateItemCommand",
  "DeleteItemCommand",
  "TransactWriteItemsCommand",
  "BatchWriteItemCommand",
]);
const readCommands = new Set([
  "GetCommand",
  "QueryCommand",
  "ScanCommand",
  "BatchGetCommand",
  "TransactGetCommand",
  "GetItemCommand",
  "BatchGetItemCommand",
  "TransactGetItemsCommand",
]);

export interface DynamoCounts {
  reads: number;
  writes: number;
  /** Items written (a transaction or batch counts each of its items). */
  writeItems: number;
  /** Requests per command, e.g. { PutCommand: 43, UpdateCommand: 30 }. */
  byCommand: Record<string, number>;
  /** Write requests per table. */
  writesByTable: Record<string, number>;
  readsByTable: Record<string, number>;
  /** Write and read requests per ElectroDB entity (operation, audit, watch, effect, lock, ...). */
  writesByEntity: Record<string, number>;
  readsByEntity: Record<string, number>;
  /**
   * Write capacity units the writes consumed (each write asks for `ReturnConsumedCapacity: "TOTAL"`): what
   * on-demand DynamoDB bills, 1 unit per started KB of the item written (an update: of the larger of the item
   * before and after), per item of a transaction or batch (twice for a transaction).
   */
  writeUnits: number;
  writeUnitsByEntity: Record<string, number>;
}

type Send = (command: unknown, ...rest: unknown[]) => Promise<unknown>;

/**
 * Counts every request sent through a DynamoDB (document) client, from install() on, and the write units
 * each write consumed (it asks for them: the only change to a request, which DynamoDB answers without
 * changing what it writes).
 */
export class DynamoCounter {
  counting = true;
  #counts: DynamoCounts = emptyDynamo();

  install(client: object): void {
    const target = client as { send: Send };
    const original = target.send.bind(client) as Send;
    target.send = (command, ...rest) => {
      if (!this.counting) return original(command, ...rest);
      const write = this.#count(command);
      if (!write) return original(command, ...rest);
      const input = (command as { input: Record<string, unknown> }).input;
      input.ReturnConsumedCapacity = "TOTAL";
      // Units arrive with the answer: they go to the counts the request was counted in (not after a reset).
      const counts = this.#counts;
      return original(command, ...rest).then((output) => {
        const units = unitsOf(output);
        counts.writeUnits += units;
        counts.writeUnitsByEntity[write.entity] = (counts.writeUnitsByEntity[write.entity] ?? 0) + units;
        return output;
      });
    };
  }

  reset(): void {
    this.#counts = emptyDynamo();
  }

  get counts(): DynamoCounts {
    return structuredClone(this.#counts);
  }

  /** Counts the request; for a write, returns the entity its units go to. */
  #count(command: unknown): { entity: string } | undefined {
    const name = (command as { constructor?: { name?: string } })?.constructor?.name ?? "Unknown";
    const input = ((command as { input?: unknown })?.input ?? {}) as Record<string, unknown>;
    const c = this.#counts;
    c.byCommand[name] = (c.byCommand[name] ?? 0) + 1;
    const tables = tablesOf(input);
    if (writeCommands.has(name)) {
      c.writes += 1;
      c.writeItems += itemsOf(input);
      for (const t of tables) c.writesByTable[t] = (c.writesByTable[t] ?? 0) + 1;
      const entity = entityOf(input);
      c.writesByEntity[entity] = (c.writesByEntity[entity] ?? 0) + 1;
      return { entity };
    }
    if (readCommands.has(name)) {
      c.reads += 1;
      for (const t of tables) c.readsByTable[t] = (c.readsByTable[t] ?? 0) + 1;
      const entity = entityOf(input);
      c.readsByEntity[entity] = (c.readsByEntity[entity] ?? 0) + 1;
    }
    return undefined;
  }
}

/** The capacity units an answer reports: one object for a single-item write, a list per table otherwise. */
function unitsOf(output: unknown): number {
  const consumed = (output as { ConsumedCapacity?: unknown } | undefined)?.ConsumedCapacity;
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  return list.reduce((n: number, c: { CapacityUnits?: number }) => n + (c?.CapacityUnits ?? 0), 0);
}

function emptyDynamo(): DynamoCounts {
  return {
    reads: 0,
    writes: 0,
    writeItems: 0,
    byCommand: {},
    writesByTable: {},
    readsByTable: {},
    writesByEntity: {},
    readsByEntity: {},
    writeUnits: 0,
    writeUnitsByEntity: {},
  };
}

/**
 * The ElectroDB entity a request touches: a put names it in the item (`__edb_e__`), an update sets it, and
 * a get, delete or query names it in its sort key (`$operation_1`, `$watch#...`).
 */
function entityOf(input: Record<string, unknown>): string {
  const item = input.Item as Record<string, unknown> | undefined;
  if (typeof item?.__edb_e__ === "string") return item.__edb_e__.toLowerCase();
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  const set = Object.entries(values).find(([name]) => name.startsWith(":__edb_e__"))?.[1];
  if (typeof set === "string") return set.toLowerCase();
  const keys = [...Object.values((input.Key ?? {}) as Record<string, unknown>), ...Object.values(values)];
  for (const key of keys) {
    // Sort keys read `$<entity>_<version>...`; partition keys `$<service>#...` do not match.
    const entity = typeof key === "string" ? /^\$([a-z][a-z-]*)_\d/i.exec(key)?.[1] : undefined;
    if (entity) return entity.toLowerCase();
  }
  return typeof input.TableName === "string" ? input.TableName : "unknown";
}

function tablesOf(input: Record<string, unknown>): string[] {
  if (typeof input.TableName === "string") return [input.TableName];
  if (input.RequestItems && typeof input.RequestItems === "object") return Object.keys(input.RequestItems);
  if (Array.isArray(input.TransactItems)) {
    const names = new Set<string>();
    for (const item of input.TransactItems as Record<string, { TableName?: string }>[]) {
      for (const part of Object.values(item)) if (part?.TableName) names.add(part.TableName);
    }
    return [...names];
  }
  return [];
}

function itemsOf(input: Record<string, unknown>): number {
  if (Array.isArray(input.TransactItems)) return input.TransactItems.length;
  if (input.RequestItems && typeof input.RequestItems === "object") {
    return Object.values(input.RequestItems as Record<string, unknown[]>).reduce((n, l) => n + l.length, 0);
  }
  return 1;
}

export interface Invocation {
  service: string;
  detailType: string;
  eventId: string;
  operationId?: string;
  causationId?: string;
  /** RDS event id (RDS-EVENT-0170...) for an RDS event. */
  rdsEventId?: string;
  startedAt: number;
  durationMs: number;
  ok: boolean;
}

/** Wraps each stage handler to record its invocations (event deliveries and the watcher's scheduled runs). */
export class HandlerRecorder {
  readonly invocations: Invocation[] = [];
  recording = true;
  /** Event deliveries recorded so far (scheduled runs excluded). */
  delivered = 0;

  loader = async (service: StageDeclaration): Promise<StageHandlerModule> => {
    const module = await importStageHandler(service);
    return {
      handle: async (event, deps) => {
        if (!this.recording) return module.handle(event, deps);
        const e = event as {
          id?: string;
          "detail-type"?: string;
          detail?: { operationId?: string; causationId?: string; EventID?: string };
        };
        const startedAt = performance.now();
        let ok = false;
        try {
          const result = await module.handle(event, deps);
          ok = true;
          return result;
        } finally {
          if (e["detail-type"] !== "Scheduled Event") this.delivered += 1;
          this.invocations.push({
            service: service.name,
            detailType: e["detail-type"] ?? "unknown",
            eventId: e.id ?? "",
            ...(e.detail?.operationId ? { operationId: e.detail.operationId } : {}),
            ...(e.detail?.causationId ? { causationId: e.detail.causationId } : {}),
            ...(e.detail?.EventID ? { rdsEventId: e.detail.EventID } : {}),
            startedAt,
            durationMs: performance.now() - startedAt,
            ok,
          });
        }
      },
    };
  };

  reset(): void {
    this.invocations.length = 0;
    this.delivered = 0;
  }
}

export interface PutRecord {
  at: number;
  detailType: string;
  rds: boolean;
}

/**
 * Observes PutEvents on the local bridge (the stages' events and RDS's): when each event was put, which
 * operations ended (RestoreCompleted/RestoreFailed), and optionally drops RDS's cluster and instance events
 * (the "watcher only" case: the pipeline learns of those resources at the watcher's next tick).
 */
export class BridgeTap {
  readonly putAt = new Map<string, PutRecord>();
  /** operationId -> when its final event was put. */
  readonly ended = new Map<string, { at: number; detailType: string }>();
  /** RDS's events as they were put: EventID (RDS-EVENT-0169...) and the resource named. */
  readonly rdsLog: { at: number; eventId: string; resource: string }[] = [];
  rdsEvents = 0;
  droppedRdsEvents = 0;
  pipelineEvents = 0;
  dropRdsResourceEvents = false;
  /** Drop every RDS event (the bench's own floor, which nothing in the pipeline must react to). */
  dropAllRdsEvents = false;

  install(bridge: LocalEventBridge): void {
    const original = bridge.putEvents.bind(bridge);
    bridge.putEvents = async (entries, sender, options) => {
      const rds = options?.awsServiceSource === RDS_SOURCE;
      if (rds) {
        this.rdsEvents += entries.length;
        const now = performance.now();
        for (const e of entries) {
          const detail = parseDetail(e.Detail);
          this.rdsLog.push({
            at: now,
            eventId: String(detail.EventID),
            resource: String(detail.SourceIdentifier),
          });
        }
        const resourceEvent = entries.every(
          (e) => e.DetailType === rdsDetailTypes.cluster || e.DetailType === rdsDetailTypes.instance,
        );
        if (this.dropAllRdsEvents || (this.dropRdsResourceEvents && resourceEvent)) {
          this.droppedRdsEvents += entries.length;
          return { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) };
        }
      } else {
        this.pipelineEvents += entries.length;
      }
      const at = performance.now();
      const result = await original(entries, sender, options);
      result.Entries.forEach((entry, i) => {
        const sent = entries[i];
        if (!entry.EventId || !sent) return;
        const detailType = sent.DetailType ?? "";
        this.putAt.set(entry.EventId, { at, detailType, rds });
        if (detailType === RestoreCompleted.detailType || detailType === RestoreFailed.detailType) {
          const operationId = operationIdOf(sent.Detail);
          if (operationId && !this.ended.has(operationId)) this.ended.set(operationId, { at, detailType });
        }
      });
      return result;
    };
  }

  reset(): void {
    this.putAt.clear();
    this.ended.clear();
    this.rdsLog.length = 0;
    this.rdsEvents = 0;
    this.droppedRdsEvents = 0;
    this.pipelineEvents = 0;
  }
}

function parseDetail(detail: string | undefined): Record<string, unknown> {
  try {
    return detail ? (JSON.parse(detail) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function operationIdOf(detail: string | undefined): string | undefined {
  const { operationId } = parseDetail(detail);
  return typeof operationId === "string" ? operationId : undefined;
}

export interface Availability {
  kind: "cluster" | "instance" | "snapshot";
  identifier: string;
  at: number;
}

/**
 * When each RDS resource became available (or, for a cluster, answered to a new name), from the local RDS's
 * registry: every change is followed at once by a save(), so a hook there sees each status change as it
 * happens, with no polling. Install it only for a few operations (each save scans the registry).
 */
export class AvailabilityTracker {
  readonly events: Availability[] = [];
  readonly #last = new Map<string, { status: string; identifier: string }>();
  #original: (() => Promise<void>) | undefined;

  install(): void {
    if (this.#original) return;
    const original = Registry.prototype.save;
    this.#original = original;
    const tracker = this;
    Registry.prototype.save = function (this: Registry) {
      tracker.#scan(this);
      return original.call(this);
    };
  }

  uninstall(): void {
    if (this.#original) Registry.prototype.save = this.#original;
    this.#original = undefined;
  }

  #scan(registry: Registry): void {
    const at = performance.now();
    const look = (
      kind: Availability["kind"],
      record: Pick<ClusterRecord, "resourceId" | "status" | "identifier"> & { pendingIdentifier?: string },
    ) => {
      const key = `${kind}:${record.resourceId}`;
      const before = this.#last.get(key);
      this.#last.set(key, { status: record.status, identifier: record.identifier });
      if (record.status !== "available" || record.pendingIdentifier) return;
      if (before?.status === "available" && before.identifier === record.identifier) return;
      this.events.push({ kind, identifier: record.identifier, at });
    };
    for (const c of registry.clusters) look("cluster", c);
    for (const i of registry.instances) look("instance", i);
    for (const s of registry.snapshots) look("snapshot", s);
  }
}

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export const round = (value: number | undefined, digits = 1): number | undefined =>
  value === undefined ? undefined : Math.round(value * 10 ** digits) / 10 ** digits;
