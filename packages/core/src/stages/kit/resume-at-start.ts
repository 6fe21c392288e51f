import type { AnyDomainEventContract, DomainEventInput } from "../../events/contract";
import { domainEvents } from "../../events/domain";
import type { OperationInfo } from "../../storage/operations";
import { audit } from "./audit";
import type { StageDeps } from "./deps";
import { errorCodeOf, errorMessageOf } from "./errors";
import { handoffDetailOf } from "./handoff";
import { endLeasesOfDeadOwners } from "./lease";
import { metaFor, publish } from "./publish";
import { republishStalledHandoffs } from "./republish-handoffs";
import { effectOfRun } from "./retry-run";

/** The once-only effects of an ended operation (notify.ts, cleanup.ts), both run on its outcome event. */
const outcomeEffects = ["notify", "cleanup"] as const;

export interface ResumedAtStart {
  /** Running operations whose dead owner's lease was ended (their step resumes). */
  leasesEnded: string[];
  /** Ended operations whose outcome event was published again (their notification or cleanup was not done). */
  outcomesRepublished: string[];
}

/**
 * What a process that owns a state folder alone (the local runtime: a lock file) does at start about the work
 * the folder's previous process left: that process is dead, and every event it had not delivered died with its
 * in-memory bus. So, before anything else runs:
 * - the leases it held end (endLeasesOfDeadOwners), and every running operation's recorded handoff is published
 *   again now, not after the watcher's stall time (10 minutes) or the lease's expiry: the step it was handed to
 *   resumes, or the event that nobody had taken yet is delivered; consumers check the step, so a copy that was
 *   not needed is ignored as a duplicate;
 * - an ended operation whose notification or cleanup was not completed gets its outcome event (RestoreCompleted
 *   or RestoreFailed, recorded as its handoff when it ended) again, after the effect claims the dead process
 *   held are released: the effect that was cut short runs again (each is idempotent on its own), the one done
 *   is skipped.
 * In Lambda no such moment exists; there an abandoned lease or effect claim is taken over when it expires.
 */
export async function resumeWorkOfDeadProcess(deps: StageDeps, liveOwner: string): Promise<ResumedAtStart> {
  const causationId = `runtime-start:${liveOwner}`;
  const leasesEnded = await endLeasesOfDeadOwners(deps, liveOwner);
  // Nothing is in flight: every recorded handoff counts as stalled (no stall time, no lease wait).
  await republishStalledHandoffs({ ...deps, leaseMs: 0 }, causationId, { handoffStallMinutes: 0 });
  const outcomesRepublished: string[] = [];
  for (const status of ["succeeded", "failed"] as const) {
    for (const operation of await deps.store.listByStatus(status)) {
      try {
        if (await republishOutcome(deps, operation, liveOwner, causationId)) {
          outcomesRepublished.push(operation.operationId);
        }
      } catch (error) {
        // One operation must not keep the runtime from starting; its effects wait for a later start.
        deps.logger.error("Could not publish an ended operation's outcome again", {
          operationId: operation.operationId,
          code: errorCodeOf(error),
          message: errorMessageOf(error),
        });
      }
    }
  }
  return { leasesEnded, outcomesRepublished };
}

async function republishOutcome(
  deps: StageDeps,
  operation: OperationInfo,
  liveOwner: string,
  causationId: string,
): Promise<boolean> {
  const { handoff } = operation;
  if (!handoff || handoff.step !== operation.step) return false;
  const effects = await deps.store.effectsOf(operation.operationId);
  const undone = outcomeEffects.filter(
    (name) => effects.find((e) => e.effect === effectOfRun(operation, name))?.status !== "completed",
  );
  if (undone.length === 0) return false;
  const contract: AnyDomainEventContract | undefined = domainEvents.find(
    (c) => c.detailType === handoff.detailType,
  );
  if (!contract) return false;
  for (const effect of effects) {
    if (effect.status === "in-progress" && !effect.holder.startsWith(`${liveOwner}:`)) {
      await deps.store.releaseEffect(operation.operationId, effect.effect, effect.holder);
    }
  }
  const detail = { ...handoffDetailOf(operation, handoff), ...metaFor(deps, operation, handoff.causationId) };
  await publish(deps, contract, detail as DomainEventInput<typeof contract>);
  await audit(deps, operation, {
    stage: "watcher",
    action: "republish-outcome",
    outcome: "succeeded",
    eventId: causationId,
    details: { step: operation.step, detailType: handoff.detailType, undone: [...undone] },
  });
  deps.logger.warn("Published an ended operation's outcome again: its process died before it was handled", {
    operationId: operation.operationId,
    detailType: handoff.detailType,
    undone,
  });
  return true;
}
