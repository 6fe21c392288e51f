/**
 * The local EventBridge: event buses per (account, region, name), PutEvents, routing to rule targets,
 * forwarding between buses (cross-account, one hop), the dead-letter queue with re-drive, and archives
 * with replay. State that must survive a restart (dead letters, archives) lives under `stateDir`.
 */
import path from "node:path";
import { ArchiveStore } from "./archive-store";
import {
  ArchiveManager,
  type CreateArchiveInput,
  type ReplayDescription,
  type StartReplayInput,
} from "./archives";
import { type DeadLetterMessage, DeadLetterQueue } from "./dead-letter-queue";
import { type RedriveResult, redriveDeadLetters } from "./dead-letter-redrive";
import { type ChaosOptions, DeliveryEngine, type DeliveryJob, type DeliveryMetrics } from "./delivery";
import { busArn, DEFAULT_ACCOUNT, DEFAULT_BUS_NAME, DEFAULT_REGION, parseEventsArn } from "./envelope";
import { EventBridgeError } from "./errors";
import { EventBus } from "./event-bus";
import {
  DEFAULT_MAX_REQUEST_SIZE_BYTES,
  type PutEventsOptions,
  type PutEventsRequestEntry,
  type PutEventsResponse,
} from "./put-events";
import { type BackoffOptions, DEFAULT_BACKOFF } from "./retry";
import { type PutEventsHost, putEvents, routeEvent } from "./routing";
import { type EventBridgeRuntime, systemRuntime } from "./runtime";

export interface LocalEventBridgeOptions {
  /** Folder for persisted state; the bus writes under `<stateDir>/eventbridge/`. */
  stateDir: string;
  /** Account and region of callers that do not say (the local account). */
  account?: string;
  region?: string;
  /** Clock, sleep, randomness and ids; tests pass createVirtualRuntime(). */
  runtime?: Partial<EventBridgeRuntime>;
  /** PutEvents total-size limit in bytes (default 1 MB; LEGACY_MAX_REQUEST_SIZE_BYTES for 256 KB). */
  maxRequestSizeBytes?: number;
  backoff?: Partial<BackoffOptions>;
  chaos?: ChaosOptions;
  /** Told about events that could not be delivered nor dead-lettered (deadLetter: false, DLQ write error). */
  onUndeliverable?(job: DeliveryJob, error: unknown): void;
}

export interface Sender {
  account?: string;
  region?: string;
}

export class LocalEventBridge {
  readonly account: string;
  readonly region: string;
  readonly runtime: EventBridgeRuntime;
  readonly deadLetters: DeadLetterQueue;
  private readonly maxRequestSizeBytes: number;
  private readonly buses = new Map<string, EventBus>();
  private readonly engine: DeliveryEngine;
  private readonly archives: ArchiveManager;
  private chaos: ChaosOptions | undefined;

  constructor(options: LocalEventBridgeOptions) {
    this.account = options.account ?? DEFAULT_ACCOUNT;
    this.region = options.region ?? DEFAULT_REGION;
    this.runtime = { ...systemRuntime(), ...options.runtime };
    this.maxRequestSizeBytes = options.maxRequestSizeBytes ?? DEFAULT_MAX_REQUEST_SIZE_BYTES;
    this.chaos = options.chaos;
    const root = path.join(options.stateDir, "eventbridge");
    this.deadLetters = new DeadLetterQueue(path.join(root, "dead-letters"));
    this.engine = new DeliveryEngine({
      runtime: this.runtime,
      deadLetters: this.deadLetters,
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
      chaos: () => this.chaos,
      forward: async (job, targetArn) => this.forward(job, targetArn),
      ...(options.onUndeliverable ? { onUndeliverable: options.onUndeliverable } : {}),
    });
    this.archives = new ArchiveManager(new ArchiveStore(path.join(root, "archives")), {
      runtime: this.runtime,
      busByArn: (arn) => this.busByArn(arn),
      route: (bus, event, routeOptions) => routeEvent(bus, event, routeOptions),
      schedule: (jobs) => this.engine.schedule(jobs),
      track: (work) => this.engine.track(work),
    });
  }

  // ---- buses ----------------------------------------------------------------------------------------

  /** A bus by name. Every account and region has a `default` bus (created on first use); custom buses must be created. */
  eventBus(name: string = DEFAULT_BUS_NAME, where: Sender = {}): EventBus {
    const account = where.account ?? this.account;
    const region = where.region ?? this.region;
    const existing = this.buses.get(busArn(account, region, name));
    if (existing) return existing;
    if (name === DEFAULT_BUS_NAME) return this.addBus(account, region, name);
    throw new EventBridgeError("ResourceNotFoundException", `Event bus ${name} does not exist.`);
  }

  createEventBus(name: string, where: Sender = {}): EventBus {
    const account = where.account ?? this.account;
    const region = where.region ?? this.region;
    if (!/^[/.\-_A-Za-z0-9]{1,256}$/.test(name)) {
      throw new EventBridgeError("ValidationException", `Event bus name '${name}' is not valid.`);
    }
    if (this.buses.has(busArn(account, region, name))) {
      throw new EventBridgeError("ResourceAlreadyExistsException", `Event bus ${name} already exists.`);
    }
    return this.addBus(account, region, name);
  }

  /** Idempotent form for wiring code: the bus, created if needed. */
  ensureEventBus(name: string, where: Sender = {}): EventBus {
    const arn = busArn(where.account ?? this.account, where.region ?? this.region, name);
    return this.buses.get(arn) ?? this.createEventBus(name, where);
  }

  listEventBuses(): EventBus[] {
    return [...this.buses.values()];
  }

  busByArn(arn: string): EventBus | undefined {
    const existing = this.buses.get(arn);
    if (existing) return existing;
    const parsed = parseEventsArn(arn);
    // Default buses exist implicitly in every account and region.
    if (parsed?.resourceType === "event-bus" && parsed.resource === DEFAULT_BUS_NAME) {
      return this.addBus(parsed.account, parsed.region, DEFAULT_BUS_NAME);
    }
    return undefined;
  }

  private addBus(account: string, region: string, name: string): EventBus {
    const bus = new EventBus(account, region, name, {
      putEvents: (entries, sender, options) => this.putEvents(entries, sender, options),
      drain: () => this.drain(),
    });
    this.buses.set(bus.arn, bus);
    this.archives.installRules(bus);
    return bus;
  }

  /** EventBusName may be a name (in the sender's account and region) or an ARN (any account). */
  private resolveBus(nameOrArn: string | undefined, account: string, region: string): EventBus | undefined {
    if (!nameOrArn) return this.eventBus(DEFAULT_BUS_NAME, { account, region });
    if (nameOrArn.startsWith("arn:")) return this.busByArn(nameOrArn);
    return nameOrArn === DEFAULT_BUS_NAME
      ? this.eventBus(DEFAULT_BUS_NAME, { account, region })
      : this.buses.get(busArn(account, region, nameOrArn));
  }

  // ---- PutEvents and routing ---------------------------------------------------------------------------

  /** PutEvents (see routing.ts for what AWS does and what the local bus does differently). */
  async putEvents(
    entries: PutEventsRequestEntry[],
    sender: Sender = {},
    options: PutEventsOptions = {},
  ): Promise<PutEventsResponse> {
    const host: PutEventsHost = {
      account: this.account,
      region: this.region,
      runtime: this.runtime,
      maxRequestSizeBytes: this.maxRequestSizeBytes,
      resolveBus: (nameOrArn, account, region) => this.resolveBus(nameOrArn, account, region),
      schedule: (jobs) => this.engine.schedule(jobs),
    };
    return putEvents(host, entries, sender, options);
  }

  /** Bus-to-bus delivery keeps the event as is: same id, the sender's account, the original region. */
  private async forward(job: DeliveryJob, targetArn: string): Promise<void> {
    const target = this.busByArn(targetArn);
    if (!target) {
      const name = parseEventsArn(targetArn)?.resource ?? targetArn;
      throw new EventBridgeError("ResourceNotFoundException", `Event bus ${name} does not exist.`);
    }
    const receivedAtMs = this.runtime.now().getTime();
    this.engine.schedule(routeEvent(target, job.event, { receivedAtMs, forwardedFrom: job.eventBusArn }));
  }

  // ---- quiescence, chaos, metrics ----------------------------------------------------------------------

  /** Resolves when no delivery, retry, forward or replay is pending (retries are waited for). */
  drain(): Promise<void> {
    return this.engine.drain();
  }

  /**
   * Stops delivering, without waiting for retry backoff: invocations already running finish; a delivery
   * waiting to be retried, or not yet attempted, is dead-lettered at once (persisted under the state folder,
   * `interruptedBy: "stop"`, re-drivable after the next start), so nothing is lost and nothing blocks;
   * running replays are cancelled. Resolves when the running invocations have settled. Deliveries scheduled
   * afterwards are dead-lettered the same way. Safe to call twice.
   */
  stop(): Promise<void> {
    this.archives.cancelAll("The local EventBridge stopped.");
    return this.engine.stop();
  }

  get pendingDeliveries(): number {
    return this.engine.pendingCount;
  }

  /** Turns chaos on (or off with undefined) for deliveries scheduled from now on. */
  setChaos(chaos: ChaosOptions | undefined): void {
    this.chaos = chaos;
  }

  get metrics(): Readonly<DeliveryMetrics> {
    return { ...this.engine.metrics };
  }

  // ---- dead-letter queue ---------------------------------------------------------------------------------

  listDeadLetters(): DeadLetterMessage[] {
    return this.deadLetters.list();
  }

  /** Re-drives dead-lettered events to the targets that failed them (see dead-letter-redrive.ts). */
  redriveDeadLetters(options: { messageIds?: string[] } = {}): RedriveResult {
    return redriveDeadLetters(
      {
        deadLetters: this.deadLetters,
        runtime: this.runtime,
        busByArn: (arn) => this.busByArn(arn),
        schedule: (jobs) => this.engine.schedule(jobs),
      },
      options,
    );
  }

  // ---- archives and replays ------------------------------------------------------------------------------

  createArchive(input: CreateArchiveInput) {
    return this.archives.createArchive(input);
  }
  describeArchive(arnOrName: string) {
    return this.archives.describeArchive(arnOrName);
  }
  listArchives() {
    return this.archives.listArchives();
  }
  archivedEvents(arnOrName: string) {
    return this.archives.archivedEvents(arnOrName);
  }
  deleteArchive(arnOrName: string): void {
    this.archives.deleteArchive(arnOrName);
  }
  startReplay(input: StartReplayInput): ReplayDescription {
    return this.archives.startReplay(input);
  }
  describeReplay(replayName: string): ReplayDescription {
    return this.archives.describeReplay(replayName);
  }
  listReplays(): ReplayDescription[] {
    return this.archives.listReplays();
  }
  cancelReplay(replayName: string): ReplayDescription {
    return this.archives.cancelReplay(replayName);
  }
}
