/**
 * Archives and replays (CreateArchive / StartReplay). An archive is a managed rule `Events-Archive-<name>`
 * on its source bus whose pattern is the archive's pattern AND `"replay-name": [{"exists": false}]`, so a
 * replayed event is never archived again. A replay re-publishes the archived events whose `time` falls in
 * [EventStartTime, EventEndTime) to the same bus, with a `replay-name` field, one minute window at a time.
 */
import type { ArchiveDefinition, ArchivedEvent, ArchiveStore } from "./archive-store";
import { compilePattern } from "./compile-pattern";
import type { DeliveryJob } from "./delivery";
import { archiveArn, type EventBridgeEvent, parseEventsArn, replayArn, withReplayName } from "./envelope";
import { EventBridgeError } from "./errors";
import type { EventBus } from "./event-bus";
import type { EventBridgeRuntime } from "./runtime";

export interface CreateArchiveInput {
  archiveName: string;
  /** The source bus ARN; it cannot change later. */
  eventSourceArn: string;
  eventPattern?: unknown;
  retentionDays?: number;
  description?: string;
}

export type ReplayState = "STARTING" | "RUNNING" | "CANCELLING" | "COMPLETED" | "CANCELLED" | "FAILED";

export interface StartReplayInput {
  replayName: string;
  /** The archive ARN. */
  eventSourceArn: string;
  eventStartTime: Date;
  eventEndTime: Date;
  /** Must be the archive's source bus; `filterArns` limits the replay to those rules (ARNs or names). */
  destination: { arn: string; filterArns?: string[] };
  description?: string;
}

export interface ReplayDescription {
  replayName: string;
  replayArn: string;
  eventSourceArn: string;
  destination: { arn: string; filterArns?: string[] };
  state: ReplayState;
  stateReason?: string;
  eventStartTime: Date;
  eventEndTime: Date;
  eventLastReplayedTime?: Date;
  replayStartTime: Date;
  replayEndTime?: Date;
  /** Events re-published so far (a local extra; AWS does not report it). */
  eventsReplayed: number;
}

export interface RouteOptions {
  receivedAtMs: number;
  forwardedFrom?: string;
  /** Only these rules (ARNs or names) receive the event: StartReplay's FilterArns. */
  ruleFilter?: ReadonlySet<string>;
}

/** What archives need from the service. */
export interface ArchiveHost {
  runtime: EventBridgeRuntime;
  busByArn(arn: string): EventBus | undefined;
  route(bus: EventBus, event: EventBridgeEvent, options: RouteOptions): DeliveryJob[];
  schedule(jobs: DeliveryJob[]): void;
  track(work: Promise<void>): void;
}

const ARCHIVE_NAME = /^[.\-_A-Za-z0-9]{1,48}$/;
const MAX_ACTIVE_REPLAYS = 10;
const WINDOW_MS = 60_000;
export const ARCHIVE_RULE_PREFIX = "Events-Archive-";

export class ArchiveManager {
  private readonly archives = new Map<string, ArchiveDefinition>();
  private readonly replays = new Map<string, ReplayDescription & { cancelRequested: boolean }>();

  constructor(
    private readonly store: ArchiveStore,
    private readonly host: ArchiveHost,
  ) {
    // Archives outlive the process: reload them; their rules come back when their buses are created.
    for (const def of store.loadAll()) this.archives.set(def.archiveArn, def);
  }

  /** (Re)installs the managed rules of the archives whose source is this bus. */
  installRules(bus: EventBus): void {
    for (const def of this.archives.values()) if (def.eventSourceArn === bus.arn) this.installRule(bus, def);
  }

  private installRule(bus: EventBus, def: ArchiveDefinition): void {
    const own = def.eventPattern ? (JSON.parse(def.eventPattern) as Record<string, unknown>) : {};
    bus.putRule({
      name: `${ARCHIVE_RULE_PREFIX}${def.archiveName}`,
      eventPattern: { ...own, "replay-name": [{ exists: false }] },
      managedBy: def.archiveArn,
      description: `Managed rule of archive ${def.archiveName}`,
      targets: [
        {
          id: `archive-${def.archiveName}`,
          invoke: async (event, context) => {
            const record: ArchivedEvent = {
              archivedAt: this.host.runtime.now().toISOString(),
              event,
              ...(context?.forwardedFrom ? { forwardedFrom: context.forwardedFrom } : {}),
            };
            this.store.append(def, record);
          },
        },
      ],
    });
  }

  createArchive(input: CreateArchiveInput): ArchiveDefinition {
    if (!ARCHIVE_NAME.test(input.archiveName)) {
      throw new EventBridgeError(
        "ValidationException",
        `Archive name '${input.archiveName}' must match [.\\-_A-Za-z0-9]{1,48}.`,
      );
    }
    const bus = this.host.busByArn(input.eventSourceArn);
    if (!bus) {
      const name = parseEventsArn(input.eventSourceArn)?.resource ?? input.eventSourceArn;
      throw new EventBridgeError("ResourceNotFoundException", `Event bus ${name} does not exist.`);
    }
    const arn = archiveArn(bus.account, bus.region, input.archiveName);
    if (this.archives.has(arn)) {
      throw new EventBridgeError(
        "ResourceAlreadyExistsException",
        `Archive ${input.archiveName} already exists.`,
      );
    }
    if (input.eventPattern !== undefined) compilePattern(input.eventPattern);
    const def: ArchiveDefinition = {
      archiveName: input.archiveName,
      archiveArn: arn,
      eventSourceArn: bus.arn,
      account: bus.account,
      region: bus.region,
      ...(input.eventPattern !== undefined
        ? {
            eventPattern:
              typeof input.eventPattern === "string"
                ? input.eventPattern
                : JSON.stringify(input.eventPattern),
          }
        : {}),
      retentionDays: input.retentionDays ?? 0,
      ...(input.description ? { description: input.description } : {}),
      creationTime: this.host.runtime.now().toISOString(),
    };
    this.store.save(def);
    this.archives.set(arn, def);
    this.installRule(bus, def);
    return def;
  }

  /** Archive by ARN or by name (in any account/region; names are unique per account and region). */
  describeArchive(arnOrName: string): ArchiveDefinition | undefined {
    return (
      this.archives.get(arnOrName) ?? [...this.archives.values()].find((a) => a.archiveName === arnOrName)
    );
  }

  listArchives(): ArchiveDefinition[] {
    return [...this.archives.values()];
  }

  /** The archived events (within retention), e.g. for inspection in tests or the CLI. */
  archivedEvents(arnOrName: string): ArchivedEvent[] {
    const def = this.describeArchive(arnOrName);
    if (!def) throw new EventBridgeError("ResourceNotFoundException", `Archive ${arnOrName} does not exist.`);
    return this.store.read(def, this.host.runtime.now());
  }

  deleteArchive(arnOrName: string): void {
    const def = this.describeArchive(arnOrName);
    if (!def) throw new EventBridgeError("ResourceNotFoundException", `Archive ${arnOrName} does not exist.`);
    this.host
      .busByArn(def.eventSourceArn)
      ?.deleteRule(`${ARCHIVE_RULE_PREFIX}${def.archiveName}`, { force: true });
    this.store.delete(def);
    this.archives.delete(def.archiveArn);
  }

  startReplay(input: StartReplayInput): ReplayDescription {
    const def = this.describeArchive(input.eventSourceArn);
    if (!def) {
      const name = parseEventsArn(input.eventSourceArn)?.resource ?? input.eventSourceArn;
      throw new EventBridgeError(
        "ValidationException",
        `Parameter EventSourceArn is not valid. Reason: Archive ${name} does not exist.`,
      );
    }
    if (!(input.eventStartTime.getTime() < input.eventEndTime.getTime())) {
      throw new EventBridgeError(
        "ValidationException",
        "Parameter EventStartTime is not valid. Reason: EventStartTime must be before EventEndTime.",
      );
    }
    if (input.destination.arn !== def.eventSourceArn) {
      throw new EventBridgeError(
        "ValidationException",
        "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.",
      );
    }
    const key = `${def.account}/${def.region}/${input.replayName}`;
    if (this.replays.has(key)) {
      throw new EventBridgeError(
        "ResourceAlreadyExistsException",
        `Replay ${input.replayName} already exists.`,
      );
    }
    const active = [...this.replays.values()].filter((r) =>
      ["STARTING", "RUNNING", "CANCELLING"].includes(r.state),
    );
    if (active.length >= MAX_ACTIVE_REPLAYS) {
      throw new EventBridgeError(
        "LimitExceededException",
        `At most ${MAX_ACTIVE_REPLAYS} replays can be active at once.`,
      );
    }
    const replay: ReplayDescription & { cancelRequested: boolean } = {
      replayName: input.replayName,
      replayArn: replayArn(def.account, def.region, input.replayName),
      eventSourceArn: def.archiveArn,
      destination: { ...input.destination },
      state: "STARTING",
      eventStartTime: input.eventStartTime,
      eventEndTime: input.eventEndTime,
      replayStartTime: this.host.runtime.now(),
      eventsReplayed: 0,
      cancelRequested: false,
    };
    this.replays.set(key, replay);
    this.host.track(
      this.run(def, replay).catch((error: unknown) => {
        replay.state = "FAILED";
        replay.stateReason = error instanceof Error ? error.message : String(error);
        replay.replayEndTime = this.host.runtime.now();
      }),
    );
    return this.snapshot(replay);
  }

  describeReplay(replayName: string): ReplayDescription {
    return this.snapshot(this.requireReplay(replayName));
  }

  listReplays(): ReplayDescription[] {
    return [...this.replays.values()].map((r) => this.snapshot(r));
  }

  cancelReplay(replayName: string): ReplayDescription {
    const replay = this.requireReplay(replayName);
    if (replay.state !== "STARTING" && replay.state !== "RUNNING") {
      throw new EventBridgeError(
        "IllegalStatusException",
        `Replay ${replayName} is not in a state that can be cancelled.`,
      );
    }
    replay.cancelRequested = true;
    replay.state = "CANCELLING";
    return this.snapshot(replay);
  }

  /** Asks every running replay to stop at its next window (the bus is stopping). */
  cancelAll(reason: string): void {
    for (const replay of this.replays.values()) {
      if (replay.state === "STARTING" || replay.state === "RUNNING") {
        replay.cancelRequested = true;
        replay.state = "CANCELLING";
        replay.stateReason = reason;
      }
    }
  }

  private requireReplay(replayName: string) {
    const replay = [...this.replays.values()].find((r) => r.replayName === replayName);
    if (!replay)
      throw new EventBridgeError("ResourceNotFoundException", `Replay ${replayName} does not exist.`);
    return replay;
  }

  private snapshot(replay: ReplayDescription & { cancelRequested: boolean }): ReplayDescription {
    const { cancelRequested: _internal, ...rest } = replay;
    return { ...rest, destination: { ...rest.destination } };
  }

  private async run(
    def: ArchiveDefinition,
    replay: ReplayDescription & { cancelRequested: boolean },
  ): Promise<void> {
    const { runtime } = this.host;
    await runtime.sleep(0); // StartReplay returns STARTING; the work happens afterwards, as in AWS.
    const finish = (state: ReplayState, reason?: string) => {
      replay.state = state;
      if (reason) replay.stateReason = reason;
      replay.replayEndTime = runtime.now();
    };
    if (replay.cancelRequested) return finish("CANCELLED");
    const bus = this.host.busByArn(def.eventSourceArn);
    if (!bus) return finish("FAILED", `Event bus ${def.eventSourceArn} does not exist.`);
    replay.state = "RUNNING";
    const start = replay.eventStartTime.getTime();
    const end = replay.eventEndTime.getTime();
    // Selected by the event's own `time`, not by when it was archived.
    const windows = new Map<number, ArchivedEvent[]>();
    for (const record of this.store.read(def, runtime.now())) {
      const time = Date.parse(record.event.time);
      if (!(time >= start && time < end)) continue;
      const window = Math.floor(time / WINDOW_MS);
      windows.set(window, [...(windows.get(window) ?? []), record]);
    }
    const filter = replay.destination.filterArns?.length ? new Set(replay.destination.filterArns) : undefined;
    for (const window of [...windows.keys()].sort((a, b) => a - b)) {
      if (replay.cancelRequested) return finish("CANCELLED");
      const receivedAtMs = runtime.now().getTime();
      const jobs = windows.get(window)!.flatMap((record) =>
        this.host.route(bus, withReplayName(record.event, replay.replayName), {
          receivedAtMs,
          ...(record.forwardedFrom ? { forwardedFrom: record.forwardedFrom } : {}),
          ...(filter ? { ruleFilter: filter } : {}),
        }),
      );
      this.host.schedule(jobs);
      replay.eventsReplayed += windows.get(window)!.length;
      replay.eventLastReplayedTime = new Date(Math.min((window + 1) * WINDOW_MS, end));
      await runtime.sleep(0); // Let a CancelReplay land between windows.
    }
    finish("COMPLETED");
  }
}
