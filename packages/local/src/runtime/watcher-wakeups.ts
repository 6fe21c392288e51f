import { randomUUID } from "node:crypto";
import type { ChangedResource } from "@aurora-restore/core/stages/watcher";
import type { WatchKind } from "@aurora-restore/core/storage/pending-watch";
import type { ResourceChange } from "../rds/resource-changes";

/** Statuses a watch never waits for: a change into one of them is not worth a check. */
const busyStatuses: ReadonlySet<string> = new Set([
  "creating",
  "copying",
  "modifying",
  "renaming",
  "resetting-master-credentials",
  "backing-up",
]);

/** The changes a watch may be waiting for: a resource that settled (available, failed) or is gone. */
export function settledChanges(changes: readonly ResourceChange[]): ChangedResource[] {
  return changes
    .filter((c) => !busyStatuses.has(c.status))
    .map((c) => ({ accountId: c.accountId, region: c.region, identifier: c.identifier }));
}

/** A watch as a stage records it on its operation (the store's startWatch input). */
export interface AddedWatch {
  accountId: string;
  region: string;
  kind: WatchKind;
  resource: string;
  context?: Record<string, unknown>;
}

const keyOf = (kind: ResourceChange["kind"], r: { accountId: string; region: string; identifier: string }) =>
  `${kind}:${r.accountId}/${r.region}/${r.identifier}`;

const placeOf = (r: { accountId: string; region: string; identifier: string }) =>
  `${r.accountId}/${r.region}/${r.identifier}`;

/** The identifiers a watch names: its resource (an ARN's last part) and the instances it waits for. */
function namedBy(watch: AddedWatch): string[] {
  const resource = watch.resource.startsWith("arn:")
    ? (watch.resource.split(":").at(-1) ?? watch.resource)
    : watch.resource;
  const instances = watch.context?.instances;
  return [resource, ...(Array.isArray(instances) ? instances.map(String) : [])];
}

/**
 * Wakes the local watcher for the resources named, in this process (the local RDS saw them change, or a stage
 * just added a watch on one): the watcher looks at those resources' watches at once instead of at their next
 * scheduled check. Not an AWS event (AWS has none for a finished copy): in AWS the watches' back-off schedule
 * and RDS's events do this (stages/kit/watch-schedule.ts). Wake-ups that come while a run is going are
 * gathered into the next run, so there is one run at a time however many resources change.
 */
export class WatcherWakeups {
  readonly #queued = new Map<string, ChangedResource>();
  /** Each resource's last reported status, to tell whether a new watch's resource changed before it. */
  readonly #statuses = new Map<string, string>();
  /**
   * The resources a recorded watch names and no wake-up has looked at since: a change of any other resource
   * (the source snapshot, a cluster nobody waits on) wakes nothing, so it costs no read of the waiting
   * operations. A watch recorded by an earlier process is not here: the watcher's schedule finds it.
   */
  readonly #watched = new Set<string>();
  readonly #listeners = new Set<(runId: string) => void>();
  #running: Promise<void> | undefined;
  #started = false;
  #stopped = false;

  constructor(
    private readonly options: {
      /** One run: checks the watches naming these resources; `runId` is the checks' causation id. */
      check(changed: ChangedResource[], runId: string): Promise<void>;
      onError(error: unknown): void;
    },
  ) {}

  /** The local RDS's changes: the watches on a resource that settled are looked at now. */
  resourcesChanged(changes: readonly ResourceChange[]): void {
    for (const change of changes) this.#statuses.set(keyOf(change.kind, change), change.status);
    const watched = settledChanges(changes).filter((r) => this.#watched.delete(placeOf(r)));
    if (watched.length > 0) this.wake(watched);
  }

  /**
   * A stage added a watch after starting the copy, restore or rename: when everything it names has already
   * settled (the change came before the watch, so no later change will wake it), it is looked at now. A
   * resource still busy is left to its coming change, so no check finds it pending.
   */
  watchAdded(watch: AddedWatch): void {
    const where = { accountId: watch.accountId, region: watch.region };
    const [identifier = watch.resource, ...instances] = namedBy(watch);
    for (const name of [identifier, ...instances]) this.#watched.add(placeOf({ ...where, identifier: name }));
    const named = [
      keyOf(watch.kind === "snapshot-copy" ? "snapshot" : "cluster", { ...where, identifier }),
      ...instances.map((instance) => keyOf("instance", { ...where, identifier: instance })),
    ];
    const settled = named.every((key) => {
      const status = this.#statuses.get(key);
      return status !== undefined && !busyStatuses.has(status);
    });
    if (settled) this.wake([{ ...where, identifier: watch.resource }]);
  }

  wake(resources: Iterable<ChangedResource>): void {
    if (this.#stopped) return;
    for (const r of resources) this.#queued.set(`${r.accountId}/${r.region}/${r.identifier}`, r);
    this.#kick();
  }

  /** Runs what was woken so far, and from now on each wake-up (nothing runs before: the watcher is not wired yet). */
  start(): void {
    this.#started = true;
    this.#kick();
  }

  /** Calls `listener` with each run's id as it starts (the bench tells these runs from scheduled ones). */
  observe(listener: (runId: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves when no run is going and none is waiting. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#queued.clear();
    await this.idle();
  }

  #kick(): void {
    if (!this.#started || this.#running || this.#queued.size === 0) return;
    // Never inside the caller (the local RDS writing its registry): the run starts on the next microtask.
    this.#running = Promise.resolve()
      .then(() => this.#drain())
      .finally(() => {
        this.#running = undefined;
        this.#kick();
      });
  }

  async #drain(): Promise<void> {
    while (this.#queued.size > 0 && !this.#stopped) {
      const batch = [...this.#queued.values()];
      this.#queued.clear();
      const runId = randomUUID();
      for (const listener of this.#listeners) listener(runId);
      try {
        await this.options.check(batch, runId);
      } catch (error) {
        this.options.onError(error);
      }
    }
  }
}
