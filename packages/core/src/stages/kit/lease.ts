import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import type { OperationStep } from "../../operation/steps";
import type { OperationInfo, OperationLease } from "../../storage/operations";
import { withAuditBuffer } from "./audit-buffer";
import type { StageDeps } from "./deps";

/**
 * How long each stage's function may run in Lambda; a claim's lease lasts that long plus a margin, so no
 * invocation outlives its lease (Powertools ties its in-progress expiry to the remaining time the same way).
 * The stacks read it from here.
 */
export const FUNCTION_TIMEOUT_SECONDS = 300;
export const DEFAULT_LEASE_MS = (FUNCTION_TIMEOUT_SECONDS + 30) * 1000;

/** The lease duration this process uses (a local runtime may shorten it; see StageDeps.leaseMs). */
export function leaseMsOf(deps: Pick<StageDeps, "leaseMs">): number {
  return deps.leaseMs ?? DEFAULT_LEASE_MS;
}

/** A lease for `eventId` on `step`, unique to this delivery attempt (a duplicate gets another holder). */
export function newLease(
  deps: Pick<StageDeps, "clock" | "leaseMs" | "leaseOwner">,
  input: { step: OperationStep; from: OperationStep; eventId: string },
): OperationLease {
  const now = deps.clock().getTime();
  const nonce = randomBytes(6).toString("hex");
  return {
    step: input.step,
    from: input.from,
    eventId: input.eventId,
    holder: deps.leaseOwner ? `${deps.leaseOwner}:${nonce}` : nonce,
    acquiredAt: new Date(now).toISOString(),
    expiresAt: new Date(now + leaseMsOf(deps)).toISOString(),
  };
}

/** True when the operation's lease on its current step is held and has not expired. */
export function leaseIsLive(operation: Pick<OperationInfo, "lease" | "step">, now: number): boolean {
  const { lease } = operation;
  return lease !== undefined && lease.step === operation.step && Date.parse(lease.expiresAt) > now;
}

/**
 * Thrown by `ensureOwner` when the step's lease was lost: the operation ended (failed by the watcher at its
 * deadline, say) or another delivery took the lease over after it expired. The step stops where it is.
 */
export class LeaseLostError extends Error {
  override name = "LeaseLostError";
  readonly code = "LeaseLost";
}

export function isLeaseLost(error: unknown): error is LeaseLostError {
  return error instanceof LeaseLostError;
}

/**
 * Called before each side effect of a claimed step: re-reads the operation and stops (LeaseLostError) unless
 * it is still at the step and version this delivery claimed it at; renews the lease once half of it has
 * passed, so a long step keeps it. A step therefore never acts after its operation has ended or moved on.
 */
export async function ensureOwner(deps: StageDeps, operation: OperationInfo): Promise<void> {
  const current = await deps.store.get(operation.operationId);
  const at = { step: operation.step, version: operation.version };
  if (!current || current.step !== at.step || current.version !== at.version) {
    throw new LeaseLostError(
      `Operation ${operation.operationId} left ${at.step} (version ${at.version}) while this delivery worked on it` +
        (current ? `: it is at ${current.step} (version ${current.version})` : ""),
    );
  }
  const { lease } = current;
  if (!lease) return;
  const now = deps.clock().getTime();
  const remaining = Date.parse(lease.expiresAt) - now;
  if (remaining > leaseMsOf(deps) / 2) return;
  const renewed = { ...lease, expiresAt: new Date(now + leaseMsOf(deps)).toISOString() };
  if (!(await deps.store.renewLease(operation.operationId, at, renewed))) {
    throw new LeaseLostError(`Operation ${operation.operationId}: the lease on ${at.step} was taken over`);
  }
  operation.lease = renewed;
}

const heldLeases = new AsyncLocalStorage<OperationInfo[]>();

/** Remembers a lease this delivery took (claimStep calls it), so `asDelivery` can give it up on failure. */
export function holdLease(operation: OperationInfo): void {
  heldLeases.getStore()?.push(operation);
}

/**
 * Runs one delivery of an event. If it throws (a throttled call the bus will retry, a crash of the code),
 * the leases it took end now instead of at their expiry: the retry of this same event, or the watcher's
 * republished handoff, resumes at once. A duplicate that did nothing took no lease and releases nothing.
 */
export async function asDelivery<T>(deps: StageDeps, run: () => Promise<T>): Promise<T> {
  const held: OperationInfo[] = [];
  try {
    return await heldLeases.run(held, () => withAuditBuffer(deps.audit, run));
  } catch (error) {
    for (const operation of held) {
      if (!operation.lease) continue;
      const ended = { ...operation.lease, expiresAt: deps.clock().toISOString() };
      const at = { step: operation.step, version: operation.version };
      await deps.store.renewLease(operation.operationId, at, ended).catch((releaseError: unknown) => {
        deps.logger.warn("Could not end a lease after a failed delivery; it ends at its expiry", {
          operationId: operation.operationId,
          error: releaseError instanceof Error ? releaseError.message : String(releaseError),
        });
      });
    }
    if (isLeaseLost(error)) {
      // Nothing to retry: the operation ended or another delivery owns the step now.
      deps.logger.warn("Stopped: this delivery lost its claim on the step", { reason: error.message });
      return undefined as T;
    }
    throw error;
  }
}

/**
 * The local runtime owns its state folder alone (a lock file): a lease held by another owner at start was
 * taken by a process that died with it. Ending those leases now lets the watcher resume the steps at once
 * instead of after their expiry. Returns the operations whose lease was ended.
 */
export async function endLeasesOfDeadOwners(deps: StageDeps, liveOwner: string): Promise<string[]> {
  const ended: string[] = [];
  const now = deps.clock().toISOString();
  for (const operation of await deps.store.listByStatus("running")) {
    const { lease } = operation;
    if (!lease || lease.holder.startsWith(`${liveOwner}:`) || lease.expiresAt <= now) continue;
    const at = { step: operation.step, version: operation.version };
    if (await deps.store.renewLease(operation.operationId, at, { ...lease, expiresAt: now })) {
      ended.push(operation.operationId);
    }
  }
  return ended;
}
