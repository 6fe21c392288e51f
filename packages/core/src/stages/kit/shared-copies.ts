import { createHash } from "node:crypto";
import { parseArn } from "../../events/arn";
import { isAwsCallError } from "../../ports/errors";
import type { AccessScope } from "../../ports/location";
import type { OperationInfo } from "../../storage/operations";
import {
  isRetired,
  type RetiredGeneration,
  retiredGenerationOf,
  type SharedCopyItem,
  type SharedCopyRef,
  type SharedCopyUser,
} from "../../storage/shared-copy-store";
import type { StageDeps } from "./deps";
import { errorCodeOf, errorMessageOf } from "./errors";

/**
 * Snapshot copies that several operations use at once: one copy per source snapshot, destination and key,
 * not one per target (AWS allows 100 manual cluster snapshots per region). An operation joins the current
 * generation of the copy (a conditional write) after it claimed its step and recorded which generation in
 * its outputs; cleanup leaves it when the operation has ended: the last to leave retires it in that write
 * and deletes the copy, then records it deleted (one write each). See storage/shared-copy-entity.ts for
 * the item and why it is never deleted.
 */

/** RDS shares one snapshot with at most 20 accounts: more targets' accounts get another lane. */
export const SNAPSHOT_SHARE_ACCOUNT_LIMIT = 20;
const MAX_LANES = 50;

/** What the copy is: the same source, destination and key make the same copy, whichever operation asks. */
export function sharedCopyKey(input: {
  source: string;
  accountId: string;
  region: string;
  kmsKeyId: string | undefined;
}): string {
  const text = [input.source, input.accountId, input.region, input.kmsKeyId ?? "unencrypted"].join("\n");
  return createHash("sha256").update(text).digest("hex").slice(0, 20);
}

/** The copy's name for one generation: `aurora-restore-<10 hex>-<suffix>`, as the pipeline's other snapshots. */
export function sharedCopyIdentifier(ref: SharedCopyRef, suffix: "share" | "copy" | "hop"): string {
  const digest = createHash("sha256").update(`${ref.copyKey}#${ref.lane}#${ref.generation}`).digest("hex");
  return `aurora-restore-${digest.slice(0, 10)}-${suffix}`;
}

/** How an operation's outputs record the generation it uses: `<copyKey>#<lane>#<generation>`. */
export function encodeSharedCopy(ref: SharedCopyRef): string {
  return `${ref.copyKey}#${ref.lane}#${ref.generation}`;
}

export function decodeSharedCopy(value: unknown): SharedCopyRef | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^([0-9a-f]{20})#(\d+)#(\d+)$/.exec(value);
  if (!match) return undefined;
  return { copyKey: match[1]!, lane: Number(match[2]), generation: Number(match[3]) };
}

/**
 * The output naming the run that uses a shared copy (`userKey`, beside the copy's own output): written only
 * when the run is not the operation's first (a retry's run, `<id>#retry-<n>`), since the operation id says it
 * otherwise and the item is billed by its size at every write.
 */
export function sharedCopyUserOutput(
  operationId: string,
  userKey: string,
  user: string,
): OperationInfo["outputs"] {
  return user === operationId ? {} : { [userKey]: user };
}

/**
 * The run that uses the shared copy the output `outputKey` names: `userKey` when recorded (a retry's run, or
 * any item an earlier version wrote), else the operation itself; undefined without a copy.
 */
export function sharedCopyUserOf(
  operation: Pick<OperationInfo, "operationId" | "outputs">,
  outputKey: string,
  userKey: string,
): string | undefined {
  const user = operation.outputs[userKey];
  if (typeof user === "string") return user;
  return operation.outputs[outputKey] === undefined ? undefined : operation.operationId;
}

/** The generation an operation would use now, and how it would join it (reads only; before the claim). */
export interface SharedCopyChoice {
  ref: SharedCopyRef;
  join: "start" | "renew" | "join";
  /** To renew: the retired generation as read (the renewal is conditional on it). */
  previous?: RetiredGeneration;
}

export async function chooseSharedCopy(
  deps: StageDeps,
  copyKey: string,
  joiner: SharedCopyUser,
): Promise<SharedCopyChoice> {
  for (let lane = 0; lane < MAX_LANES; lane++) {
    const item = await deps.store.sharedCopy(copyKey, lane);
    if (!item) return { ref: { copyKey, lane, generation: 1 }, join: "start" };
    if (isRetired(item)) {
      const previous = retiredGenerationOf(item);
      return { ref: { copyKey, lane, generation: item.generation + 1 }, join: "renew", previous };
    }
    if (hasRoomFor(item, joiner))
      return { ref: { copyKey, lane, generation: item.generation }, join: "join" };
  }
  throw new Error(
    `Shared copy ${copyKey}: all ${MAX_LANES} copies are shared with ${SNAPSHOT_SHARE_ACCOUNT_LIMIT} accounts each; ` +
      "refresh fewer target accounts from one snapshot at a time.",
  );
}

function hasRoomFor(item: SharedCopyItem, joiner: SharedCopyUser): boolean {
  if (!joiner.account || joiner.maxAccounts === undefined) return true;
  const accounts = item.accounts ?? [];
  return accounts.includes(joiner.account) || accounts.length < joiner.maxAccounts;
}

/** The shared copy cannot be joined now (many concurrent changes to it): the delivery is retried. */
export class SharedCopyBusyError extends Error {
  override name = "SharedCopyBusyError";
  readonly code = "SharedCopyBusy";
  readonly retryable = true;
}

export interface JoinRequest {
  copyKey: string;
  /** The output naming the generation (encodeSharedCopy), written with the claim or rewritten here. */
  outputKey: string;
  scope: AccessScope;
  /** Which copy it is (its name's suffix): a renewal may hand the previous generation's on for deletion. */
  suffix: "share" | "copy" | "hop";
  joiner: SharedCopyUser;
  /** How the claim's choice said to join (start a lane, renew it, join it); absent when resuming. */
  choice?: SharedCopyChoice;
  /** The outputs that name a generation (the ref itself and the copy's ARN). */
  outputsFor: (ref: SharedCopyRef) => OperationInfo["outputs"];
}

/**
 * Joins the generation the operation recorded. If that generation cannot be joined (retired meanwhile,
 * shared with as many accounts as allowed), chooses again and records the new choice on the operation
 * first, conditional on the step and version this delivery claimed: a delivery that lost its lease cannot
 * record, so it never joins a generation its operation does not name (cleanup leaves only that one).
 * Undefined when this run already left the copy (a late duplicate after the operation ended) or the lease
 * was lost: the caller does nothing more.
 */
export async function joinSharedCopy(
  deps: StageDeps,
  operation: OperationInfo,
  request: JoinRequest,
): Promise<{ operation: OperationInfo; item: SharedCopyItem; ref: SharedCopyRef } | undefined> {
  let current = operation;
  let ref = decodeSharedCopy(current.outputs[request.outputKey]);
  let choice = request.choice;
  for (let attempt = 0; attempt < 8; attempt++) {
    if (ref) {
      const joined = await tryJoin(deps, ref, request, choice);
      if (joined === "left") return undefined;
      if (joined) return { operation: current, item: joined, ref };
    }
    choice = await chooseSharedCopy(deps, request.copyKey, request.joiner);
    const recorded = await deps.store.recordOutputs(current, request.outputsFor(choice.ref));
    if (!recorded) return undefined;
    current = recorded;
    ref = choice.ref;
  }
  throw new SharedCopyBusyError(
    `Operation ${operation.operationId} could not join a shared snapshot copy: it changed under every attempt; the delivery is retried.`,
  );
}

async function tryJoin(
  deps: StageDeps,
  ref: SharedCopyRef,
  request: JoinRequest,
  choice: SharedCopyChoice | undefined,
): Promise<SharedCopyItem | "left" | undefined> {
  const { store } = deps;
  const { joiner, scope } = request;
  const join = choice?.join;
  const start = () =>
    store.startSharedCopy(
      {
        copyKey: ref.copyKey,
        lane: ref.lane,
        accountId: scope.accountId,
        region: scope.region,
        ...(scope.roleArn ? { roleArn: scope.roleArn } : {}),
      },
      joiner,
    );
  const renew = (previous: RetiredGeneration) =>
    store.renewSharedCopy(
      ref,
      joiner,
      previous,
      sharedCopyIdentifier({ ...ref, generation: ref.generation - 1 }, request.suffix),
    );
  const first =
    join === "start"
      ? await start()
      : join === "renew" && choice?.previous
        ? await renew(choice.previous)
        : await store.joinSharedCopy(ref, joiner);
  if (first) return first;
  // Refused: see why. Another operation may have started or renewed the lane first, this run may have
  // joined already (a resumed delivery) or left (the operation ended), or the generation moved on (or its
  // previous one was recorded retired since it was read).
  const item = await store.sharedCopy(ref.copyKey, ref.lane);
  if (!item) return ref.generation === 1 && join !== "start" ? start() : undefined;
  if (item.generation === ref.generation) {
    if (item.users?.includes(joiner.user)) return item;
    if (item.left?.includes(joiner.user)) return "left";
    return join !== "join" && !isRetired(item) ? store.joinSharedCopy(ref, joiner) : undefined;
  }
  if (item.generation === ref.generation - 1 && isRetired(item)) {
    const previous = retiredGenerationOf(item);
    const tried = join === "renew" ? choice?.previous : undefined;
    if (!tried || tried.state !== previous.state || tried.keep !== previous.keep) return renew(previous);
  }
  return undefined;
}

/** The output holding the ARN of each kind of shared copy (it names the copy's account and region). */
export const sharedCopyArnOutputs = {
  share: "shareableSnapshotArn",
  hop: "hopSnapshotArn",
  copy: "targetSnapshotArn",
} as const;

/** A retired copy cannot be deleted yet (it is still being copied): cleanup is delivered again later. */
export class SharedCopyNotDeletableError extends Error {
  override name = "SharedCopyNotDeletableError";
  readonly code = "SharedCopyNotDeletable";
  readonly retryable = true;
}

export interface ReleaseResult {
  identifier: string;
  /** This release retired the generation (the operation was its last user). */
  retired: boolean;
  /** The copies deleted now (this generation's, or earlier ones a crash left in `deleting`). */
  deleted: string[];
  kept: boolean;
  failures: { identifier: string; code: string; message: string }[];
}

/**
 * The ended operation leaves the shared copy its outputs name (`outputKey`, `userKey`). The last user's leave
 * retires the generation (nobody can join it any more); it then deletes the copy (unless a leaving
 * operation's plan keeps intermediate snapshots) and records the generation retired in one more write, with
 * the copy in `deleting` only when it could not be deleted. Safe to run again after a crash at any point:
 * leaving twice changes nothing, a generation left by its last user is finished by whoever finds it, and
 * the copies in `deleting` are deleted by whoever finds them.
 */
export async function releaseSharedCopy(
  deps: StageDeps,
  operation: Pick<OperationInfo, "operationId" | "outputs">,
  request: { outputKey: string; userKey: string; suffix: "share" | "copy" | "hop"; keep: boolean },
): Promise<ReleaseResult | undefined> {
  const ref = decodeSharedCopy(operation.outputs[request.outputKey]);
  const user = sharedCopyUserOf(operation, request.outputKey, request.userKey);
  const arn = operation.outputs[sharedCopyArnOutputs[request.suffix]];
  const where = typeof arn === "string" ? parseArn(arn) : undefined;
  if (!ref || typeof user !== "string" || !where) return undefined;
  const { store } = deps;
  const nameOf = (generation: number) => sharedCopyIdentifier({ ...ref, generation }, request.suffix);
  let item = await leave(deps, ref, user, request.keep, where, nameOf);
  const result: ReleaseResult = {
    identifier: nameOf(ref.generation),
    retired: false,
    deleted: [],
    kept: false,
    failures: [],
  };
  if (!item) return result;
  const scope: AccessScope = {
    accountId: item.accountId,
    region: item.region,
    ...(item.roleArn ? { roleArn: item.roleArn } : {}),
  };
  if (item.state === "active" && !item.users?.length) {
    // Left by its last user: nobody can join it; delete its copy, then record that in one write.
    const identifier = nameOf(item.generation);
    const outcome = item.keep ? "kept" : await deleteCopy(deps, scope, identifier);
    if (typeof outcome === "object") result.failures.push(outcome);
    const retired = await store.retireSharedCopy(item, typeof outcome === "object" ? identifier : undefined);
    result.retired = retired !== undefined;
    result.kept = outcome === "kept";
    if (outcome === "deleted") {
      result.deleted.push(identifier);
      // The lane was renewed meanwhile and the renewal handed the copy on to `deleting`: done with it.
      if (!retired) await store.forgetDeletion(item.copyKey, item.lane, identifier);
    }
    item = retired ?? (await store.sharedCopy(item.copyKey, item.lane)) ?? item;
  }
  const tried = (identifier: string) =>
    result.deleted.includes(identifier) || result.failures.some((f) => f.identifier === identifier);
  for (const identifier of item.deleting ?? []) {
    if (tried(identifier)) continue;
    const outcome = await deleteCopy(deps, scope, identifier);
    if (typeof outcome === "object") {
      result.failures.push(outcome);
      continue;
    }
    await store.forgetDeletion(item.copyKey, item.lane, identifier);
    result.deleted.push(identifier);
  }
  return result;
}

/**
 * Leaves the generation; one that was never started (the lane does not exist, or its previous generation is
 * retired) is started retired with the user in `left`, so a delivery that comes back cannot join it. The
 * lane as it is after that (undefined when it does not exist).
 */
async function leave(
  deps: StageDeps,
  ref: SharedCopyRef,
  user: string,
  keep: boolean,
  where: { accountId: string; region: string },
  nameOf: (generation: number) => string,
): Promise<SharedCopyItem | undefined> {
  const { store } = deps;
  let item: SharedCopyItem | undefined;
  for (let attempt = 0; attempt < 4; attempt++) {
    const left = await store.leaveSharedCopy(ref, user, keep);
    if (left) return left;
    item = await store.sharedCopy(ref.copyKey, ref.lane);
    if (item?.generation === ref.generation) continue; // Started since: leave it.
    if (item && item.generation > ref.generation) return item; // Past it: it can never be joined again.
    const previous =
      item?.generation === ref.generation - 1 && isRetired(item)
        ? { generation: retiredGenerationOf(item), copy: nameOf(item.generation) }
        : undefined;
    if (item && !previous) return item; // Cannot happen: a generation is only chosen after the one before retired.
    const tombstone = await store.startRetiredSharedCopy(ref, user, where, previous);
    if (tombstone) return tombstone;
  }
  return item;
}

/** Deletes a retired copy: "deleted" (or already gone, or being deleted), or why it could not be. */
async function deleteCopy(
  deps: StageDeps,
  scope: AccessScope,
  identifier: string,
): Promise<"deleted" | { identifier: string; code: string; message: string }> {
  try {
    await deps.rds(scope).deleteClusterSnapshot(identifier);
  } catch (error) {
    if (isAwsCallError(error, "InvalidDBClusterSnapshotStateFault")) {
      // Another cleanup's delete of it is under way: done. Still being copied: later.
      if (!(await isBeingDeleted(deps, scope, identifier))) {
        throw new SharedCopyNotDeletableError(
          `Shared snapshot copy ${identifier} is retired but cannot be deleted yet (${errorMessageOf(error)}); cleanup is delivered again and deletes it then.`,
        );
      }
    } else if (!isAwsCallError(error, "DBClusterSnapshotNotFoundFault")) {
      if ((error as { retryable?: unknown }).retryable === true) throw error;
      return { identifier, code: errorCodeOf(error), message: errorMessageOf(error) };
    }
  }
  return "deleted";
}

async function isBeingDeleted(deps: StageDeps, scope: AccessScope, identifier: string): Promise<boolean> {
  try {
    return (await deps.rds(scope).describeClusterSnapshot(identifier)).status === "deleting";
  } catch (error) {
    if (isAwsCallError(error, "DBClusterSnapshotNotFoundFault")) return true;
    throw error;
  }
}
