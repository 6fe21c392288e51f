import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type OperationStep, operationSteps, stageOfStep, stepIndex } from "../operation/steps";
import { isConditionFailure } from "./condition-failure";
import { operationEntity } from "./operation-entity";
import type { OperationHandoff, OperationInfo } from "./operations";
import type { PendingWatch } from "./pending-watch";

export interface ReopenInput {
  /** The failed operation as the caller read it: the write is conditional on its step and version. */
  current: OperationInfo;
  /** The step the retry resumes at (a step before `failed`, never `failed` or `completed`). */
  to: OperationStep;
  at: string;
  deadline: string;
  /** Recorded for `requested` (RestoreRequested): the event the retry publishes through the outbox. */
  handoff?: OperationHandoff;
  /** What the reopened operation waits on (a resource the failed run kept), in the same write. */
  watch?: PendingWatch;
}

/** Reopening and what a failed operation kept: the writes `operations retry` and cleanup make on an ended operation. */
export function createRetryStore(client: DynamoDBDocumentClient, table: string) {
  const operations = operationEntity(client, table);
  return {
    /**
     * Moves a failed operation back to `to` (the only backward move there is), conditional on it still being
     * failed at the version the caller saw: a second retry of the same failure finds it moved and gets false.
     * The claims and stage times of `to` and every later step go (their work is done again); the error, the
     * lease and the kept record go too.
     */
    async reopen(operationId: string, input: ReopenInput): Promise<OperationInfo | undefined> {
      const { current, to } = input;
      if (current.step !== "failed" || to === "failed" || to === "completed") {
        throw new Error(`Operation ${operationId}: only a failed operation is reopened, at an earlier step`);
      }
      const from = stepIndex(to);
      const claims = Object.fromEntries(
        Object.entries(current.claims ?? {}).filter(([step]) => stepIndex(step as OperationStep) < from),
      );
      // The resumed stages' times are this attempt's: the first start is in the audit trail.
      const resumedStages = new Set<string>(operationSteps.slice(from).map((step) => stageOfStep[step]));
      const stageTimes = {
        ...Object.fromEntries(
          Object.entries(current.stageTimes).filter(([stage]) => !resumedStages.has(stage)),
        ),
        [stageOfStep[to]]:
          to === "requested" ? { startedAt: input.at, endedAt: input.at } : { startedAt: input.at },
      };
      // Attempts count this run's deliveries (configure reads its own audit entries after the first).
      const attempts = Object.fromEntries(
        Object.entries(current.attempts).filter(([stage]) => !resumedStages.has(stage)),
      );
      const next = {
        step: to,
        attempts,
        status: "running" as const,
        claims,
        stageTimes,
        retries: (current.retries ?? 0) + 1,
        deadline: input.deadline,
        version: current.version + 1,
        ...(input.handoff ? { handoff: input.handoff } : {}),
        ...(input.watch ? { watch: input.watch, waiting: "pending" as const } : {}),
      };
      const droppable: ("error" | "lease" | "kept" | "handoff" | "watch" | "waiting")[] = [
        "error",
        "lease",
        "kept",
        ...(input.handoff ? [] : (["handoff"] as const)),
        ...(input.watch ? [] : (["watch", "waiting"] as const)),
      ];
      const remove = droppable.filter((name) => current[name] !== undefined);
      try {
        const patch = operations.patch({ operationId }).set(next);
        await (remove.length > 0 ? patch.remove([...remove]) : patch)
          .where(({ step, version }, { eq }) => `${eq(step, "failed")} AND ${eq(version, current.version)}`)
          .go();
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
      const { error: _e, lease: _l, kept: _k, handoff: _h, watch: _w, waiting: _p, ...rest } = current;
      return { ...rest, ...next } as OperationInfo;
    },

    /** Records what cleanup kept of a failed operation (see the entity's `kept`); false if it is not failed. */
    async recordKept(operationId: string, kept: NonNullable<OperationInfo["kept"]>): Promise<boolean> {
      try {
        await operations
          .patch({ operationId })
          .set({ kept })
          .where(({ step }, { eq }) => eq(step, "failed"))
          .go();
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    /** Forgets the kept record once its resources are deleted (only the record the caller read). */
    async clearKept(operationId: string, until: string): Promise<boolean> {
      try {
        await operations
          .patch({ operationId })
          .remove(["kept"])
          .where(({ step, kept }, { eq }) => `${eq(step, "failed")} AND ${eq(kept.until, until)}`)
          .go();
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
  };
}
