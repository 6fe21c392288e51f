import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { canMove, type OperationStep, stageOfStep, statusOfStep } from "../operation/steps";
import { isConditionFailure } from "./condition-failure";
import { createEffectStore } from "./effect-store";
import { createLegacyWatchStore } from "./legacy-watch-store";
import { createLockStore } from "./lock-store";
import { type OperationItem, operationEntity } from "./operation-entity";
import type { PendingWatch } from "./pending-watch";
import { createRetryStore } from "./retry-store";
import { createSharedCopyStore } from "./shared-copy-store";
import type { StageTimes } from "./stage-times";

/**
 * An operation, as its entity (operation-entity.ts) reads it: the attributes' documentation lives there.
 * Only `outputs` is typed here: each stage adds its own keys (resource ids, flags).
 */
export type OperationInfo = Omit<OperationItem, "outputs" | "watch" | "stageTimes"> & {
  outputs: Record<string, string | number | boolean | string[]>;
  watch?: PendingWatch;
  stageTimes: StageTimes;
};

/** The outbox entry for the event that hands an operation on (see the entity's `handoff`). */
export type OperationHandoff = NonNullable<OperationInfo["handoff"]>;

/** Who works on the operation's current step and until when (see the entity's `lease`). */
export type OperationLease = NonNullable<OperationInfo["lease"]>;

/** A transition was refused: the operation is not where the caller expected (duplicate, replay, race). */
export class StaleTransitionError extends Error {
  override name = "StaleTransitionError";
  constructor(
    readonly operationId: string,
    readonly expected: { step: OperationStep; version: number },
    readonly actual?: { step: OperationStep; version: number },
  ) {
    super(
      `Operation ${operationId} is not at step ${expected.step} version ${expected.version}` +
        (actual ? ` (it is at ${actual.step} version ${actual.version})` : " (it does not exist)"),
    );
  }
}

export interface TransitionInput {
  from: { step: OperationStep; version: number };
  to: OperationStep;
  at: string;
  outputs?: OperationInfo["outputs"];
  claims?: OperationInfo["claims"];
  error?: OperationInfo["error"];
  countAttempt?: boolean;
  /**
   * When the work of the stage moved to began, if before `at`: a stage that claims no step of its own (verify
   * only reads) moves once, at its end, and its time still counts from its start (the stage before ends then).
   */
  stageStartedAt?: string;
  /** Records the event about to be published for the step moved to (in the same conditional write). */
  handoff?: OperationHandoff;
  /** The lease on the step moved to; without one the operation's lease is removed (nobody works on it). */
  lease?: OperationLease;
  /**
   * What the operation waits on at the step moved to. Without one its watch is removed: every transition
   * ends the wait it was in (the watcher's advance, the next stage's claim, a failure).
   */
  watch?: PendingWatch;
  /**
   * The operation as the caller read it at `from`: spares the read before the write. The write is
   * conditional on step and version, so a copy that is no longer current cannot be written over anything.
   */
  current?: OperationInfo;
}

/** DynamoDB refuses a query of an index the table does not have (yet): see `waitingOnWatches`. */
function indexMissing(error: unknown): "absent" | "building" | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (/does not have the specified index/i.test(e.message)) return "absent";
    if (/backfilling global secondary index/i.test(e.message)) return "building";
  }
  return undefined;
}

/** Operations and what they wait on, per-target locks, effects, retries and shared copies in the state table. */
export function createOperationStore(client: DynamoDBDocumentClient, table: string) {
  const operations = operationEntity(client, table);
  /** A table made before the index of waiting operations existed (an older local state folder) never gets it. */
  let waitingIndexAbsent = false;

  /** Sets `fields` only while the operation is at the step and version the caller saw; false otherwise. */
  async function setAt(
    operationId: string,
    at: { step: OperationStep; version: number },
    fields: Partial<Pick<OperationInfo, "lease" | "handoff" | "attempts" | "version" | "outputs">>,
  ): Promise<boolean> {
    try {
      await operations
        .patch({ operationId })
        .set(fields)
        .where(({ step, version }, { eq }) => `${eq(step, at.step)} AND ${eq(version, at.version)}`)
        .go();
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async function get(operationId: string): Promise<OperationInfo | undefined> {
    const { data } = await operations.get({ operationId }).go();
    return (data ?? undefined) as OperationInfo | undefined;
  }

  return {
    get,

    /** Creates the operation unless it exists; returns false for a duplicate (same snapshot and target). */
    async create(
      input: Omit<
        OperationInfo,
        | "step"
        | "status"
        | "stageTimes"
        | "outputs"
        | "claims"
        | "attempts"
        | "version"
        | "createdAt"
        | "updatedAt"
        | "error"
      >,
      at: string,
    ): Promise<boolean> {
      try {
        await operations
          .create({
            ...input,
            step: "requested",
            status: "running",
            stageTimes: { trigger: { startedAt: at, endedAt: at } },
            outputs: {},
            claims: {},
            attempts: {},
            version: 1,
            createdAt: at,
          })
          .go();
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    /**
     * Moves an operation from the step and version the caller saw to the next step, or throws
     * StaleTransitionError. Records the stage's start/end times and attempt counts in the same write.
     */
    async transition(operationId: string, input: TransitionInput): Promise<OperationInfo> {
      if (!canMove(input.from.step, input.to)) {
        throw new Error(
          `Operation ${operationId}: ${input.from.step} -> ${input.to} is not a forward transition`,
        );
      }
      const known = input.current;
      const current =
        known && known.step === input.from.step && known.version === input.from.version
          ? known
          : await get(operationId);
      if (!current || current.step !== input.from.step || current.version !== input.from.version) {
        throw new StaleTransitionError(
          operationId,
          input.from,
          current && { step: current.step, version: current.version },
        );
      }
      const stage = stageOfStep[input.to];
      const stageTimes = { ...current.stageTimes };
      const previous = stageTimes[stage];
      const ended = input.to === "failed" || statusOfStep(input.to) !== "running";
      const fromStage = stageOfStep[input.from.step];
      const startedAt = input.stageStartedAt ?? input.at;
      if (fromStage !== stage && stageTimes[fromStage] && !stageTimes[fromStage]?.endedAt) {
        stageTimes[fromStage] = { ...stageTimes[fromStage]!, endedAt: startedAt };
      }
      stageTimes[stage] = {
        startedAt: previous?.startedAt ?? startedAt,
        ...(ended ? { endedAt: input.at } : {}),
      };
      const attempts = { ...current.attempts };
      if (input.countAttempt) attempts[stage] = (attempts[stage] ?? 0) + 1;
      const next = {
        step: input.to,
        status: statusOfStep(input.to),
        stageTimes,
        attempts,
        outputs: { ...current.outputs, ...(input.outputs ?? {}) },
        claims: { ...current.claims, ...(input.claims ?? {}) },
        version: current.version + 1,
        ...(input.error ? { error: input.error } : {}),
        ...(input.handoff ? { handoff: input.handoff } : {}),
        ...(input.lease ? { lease: input.lease } : {}),
        ...(input.watch ? { watch: input.watch, waiting: "pending" as const } : {}),
      };
      // Removing what is absent costs nothing: the watch goes unconditionally, whatever the caller's copy says.
      const remove: ("lease" | "watch" | "waiting")[] = input.watch ? [] : ["watch", "waiting"];
      if (!input.lease && current.lease) remove.push("lease");
      try {
        const patch = operations.patch({ operationId }).set(next);
        await (remove.length > 0 ? patch.remove(remove) : patch)
          .where(
            ({ step, version }, { eq }) =>
              `${eq(step, input.from.step)} AND ${eq(version, input.from.version)}`,
          )
          .go();
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const actual = await get(operationId);
        throw new StaleTransitionError(
          operationId,
          input.from,
          actual && { step: actual.step, version: actual.version },
        );
      }
      const { lease: _lease, watch: _watch, waiting: _waiting, ...rest } = current;
      return { ...rest, ...next } as OperationInfo;
    },

    /**
     * Takes over the lease on the operation's current step (the caller checked it has expired), only while
     * the operation is still at the step and version the caller saw. Bumps the version, so the previous
     * owner's next conditional write fails. Returns the operation as written, or undefined when it moved.
     */
    async takeOverLease(
      operationId: string,
      at: { step: OperationStep; version: number },
      lease: OperationLease,
    ): Promise<OperationInfo | undefined> {
      const current = await get(operationId);
      if (!current || current.step !== at.step || current.version !== at.version) return undefined;
      const stage = stageOfStep[at.step];
      const attempts = { ...current.attempts, [stage]: (current.attempts[stage] ?? 0) + 1 };
      if (!(await setAt(operationId, at, { lease, attempts, version: at.version + 1 }))) return undefined;
      return { ...current, lease, attempts, version: at.version + 1 };
    },

    /**
     * Extends the lease its owner holds (a long step, between side effects). Conditional on the step and
     * version the owner holds it at: false when it lost the lease (taken over, or the operation moved on).
     */
    async renewLease(
      operationId: string,
      at: { step: OperationStep; version: number },
      lease: OperationLease,
    ): Promise<boolean> {
      return setAt(operationId, at, { lease });
    },

    /**
     * Records (or updates) the operation's handoff, only while it is still at the step and version the
     * caller saw; false when it has moved on. Leaves the version alone: a handoff is bookkeeping, and a
     * consumer holding this version must still be able to move the operation.
     */
    async recordHandoff(
      operationId: string,
      at: { step: OperationStep; version: number },
      handoff: OperationHandoff,
    ): Promise<boolean> {
      return setAt(operationId, at, { handoff });
    },

    /**
     * Adds outputs to the operation only while it is at the step and version the caller saw, and bumps the
     * version: of two deliveries that read the same version, only the first records (a lease holder's proof
     * that it still owns the step, a duplicate's refusal). Undefined when refused. Outputs change only with
     * the version, so the whole map is written.
     */
    async recordOutputs(
      current: OperationInfo,
      outputs: OperationInfo["outputs"],
    ): Promise<OperationInfo | undefined> {
      const merged = { ...current.outputs, ...outputs };
      const at = { step: current.step, version: current.version };
      const version = current.version + 1;
      return (await setAt(current.operationId, at, { outputs: merged, version }))
        ? { ...current, outputs: merged, version }
        : undefined;
    },

    /**
     * Starts the wait on AWS that ends the step's work (the copy, restore or rename is requested): records
     * the watch and ends the lease (nobody works on the step any more) in one write, conditional on the step
     * and version the lease holder claimed it at, and bumps the version. Undefined when refused (another
     * delivery took the step over, or the operation moved on): that delivery or the operation decides.
     */
    async startWatch(current: OperationInfo, watch: PendingWatch): Promise<OperationInfo | undefined> {
      const version = current.version + 1;
      try {
        const patch = operations.patch({ operationId: current.operationId }).set({
          watch,
          waiting: "pending",
          version,
        });
        await (current.lease ? patch.remove(["lease"]) : patch)
          .where(({ step, version: v }, { eq }) => `${eq(step, current.step)} AND ${eq(v, current.version)}`)
          .go();
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
      const { lease: _ended, ...rest } = current;
      return { ...rest, watch, waiting: "pending", version };
    },

    /**
     * Ends a wait that moves the operation nowhere (the next stage moves it): records the event the watcher
     * is about to publish as the handoff and removes the watch, in one write conditional on that watch still
     * pending at the step. Of two checks that both found the resource ready, only the first gets the
     * operation back (and publishes). Leaves the version alone, as a handoff record does.
     */
    async completeWatch(
      current: OperationInfo,
      watchId: string,
      handoff?: OperationHandoff,
    ): Promise<OperationInfo | undefined> {
      try {
        const patch = operations.patch({ operationId: current.operationId });
        await (handoff ? patch.set({ handoff }) : patch)
          .remove(["watch", "waiting"])
          .where(({ step, watch }, { eq }) => `${eq(step, current.step)} AND ${eq(watch.watchId, watchId)}`)
          .go();
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
      const { watch: _done, waiting: _waiting, ...rest } = current;
      return { ...rest, ...(handoff ? { handoff } : {}) };
    },

    /** Removes a watch that no longer applies (its operation is not where it waits); false if it is gone. */
    async dropWatch(operationId: string, watchId: string): Promise<boolean> {
      try {
        await operations
          .patch({ operationId })
          .remove(["watch", "waiting"])
          .where(({ watch }, { eq }) => eq(watch.watchId, watchId))
          .go();
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    /**
     * The operations with a pending watch, from the sparse index. A table without that index (a local state
     * folder made before it existed), or while DynamoDB still builds it after a deploy, is answered from the
     * running operations instead.
     */
    async waitingOnWatches(): Promise<OperationInfo[]> {
      if (!waitingIndexAbsent) {
        try {
          const { data } = await operations.query.waitingOnWatch({ waiting: "pending" }).go({ pages: "all" });
          return data as OperationInfo[];
        } catch (error) {
          const missing = indexMissing(error);
          if (!missing) throw error;
          if (missing === "absent") waitingIndexAbsent = true;
        }
      }
      const { data } = await operations.query.byStatus({ status: "running" }).go({ pages: "all" });
      return (data as OperationInfo[]).filter((operation) => operation.watch !== undefined);
    },

    async listByTarget(targetKey: string): Promise<OperationInfo[]> {
      const { data } = await operations.query.byTarget({ targetKey }).go({ pages: "all", order: "desc" });
      return data as OperationInfo[];
    },

    async listByStatus(status: OperationInfo["status"]): Promise<OperationInfo[]> {
      const { data } = await operations.query.byStatus({ status }).go({ pages: "all" });
      return data as OperationInfo[];
    },

    ...createEffectStore(client, table),
    ...createLockStore(client, table),
    ...createLegacyWatchStore(client, table),
    ...createRetryStore(client, table),
    ...createSharedCopyStore(client, table),
  };
}

export type OperationStore = ReturnType<typeof createOperationStore>;
