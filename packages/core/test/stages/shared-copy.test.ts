import { describe, expect, test } from "vitest";
import {
  CopyCompleted,
  RestoreFailed,
  RestoreRequested,
  RetryRequested,
  SnapshotAvailable,
  SourceSnapshotCopied,
} from "../../src/events/domain";
import { type Plan, planSchema } from "../../src/plan/schema";
import * as cleanup from "../../src/stages/cleanup";
import { onSnapshotAvailable } from "../../src/stages/copy";
import { failOperation } from "../../src/stages/kit/fail";
import {
  chooseSharedCopy,
  decodeSharedCopy,
  encodeSharedCopy,
  joinSharedCopy,
  releaseSharedCopy,
  sharedCopyIdentifier,
  sharedCopyUserOf,
} from "../../src/stages/kit/shared-copies";
import { onRestoreRequested, onSourceSnapshotCopied } from "../../src/stages/prepare";
import { onRdsEvent, onRetryRequested } from "../../src/stages/trigger";
import { checkWatches } from "../../src/stages/watcher";
import type { OperationInfo } from "../../src/storage/operations";
import { useDynalite } from "../support/dynalite";
import { createWorld, planInput, snapshotCreatedEvent, sourceLocation, type World } from "../support/world";

const backend = useDynalite();

/** One plan, `count` targets in the same target account and region (staging-1, staging-2, ...). */
function planOfTargets(count: number, retention: Record<string, unknown> = {}): Plan {
  const input = planInput({ plan: { retention } });
  const [first] = input.targets as Record<string, unknown>[];
  const targets = Array.from({ length: count }, (_, i) => {
    const name = `staging-${i + 1}`;
    return {
      ...first,
      clusterIdentifier: name,
      masterSecretName: `aurora-restore/${name}/master`,
      applicationUsers: [],
    };
  });
  return planSchema.parse({ ...input, targets });
}

async function started(w: World) {
  const snapshot = w.automatedSnapshot();
  const operations = await onRdsEvent(w.deps, snapshotCreatedEvent(snapshot));
  return { ids: operations.map((o) => o!.operationId), requests: w.publisher.delivered(RestoreRequested) };
}

const shareCopiesIn = (w: World) =>
  w.rds.callsOf("copyClusterSnapshot").filter((c) => c.scope.accountId === sourceLocation.accountId);
const deletesOf = (w: World, identifier: string) =>
  w.rds.callsOf("deleteClusterSnapshot").filter((c) => c.input === identifier);

async function operations(w: World, ids: string[]): Promise<OperationInfo[]> {
  return Promise.all(ids.map(async (id) => (await w.store.get(id))!));
}

/** Ends the operation as a failure at `stage` and runs its cleanup (RestoreFailed, as the bus delivers it). */
async function failAndCleanUp(w: World, operationId: string, stage: "verify" | "copy" = "verify") {
  const operation = (await w.store.get(operationId))!;
  await failOperation(w.deps, operation, stage, new Error("it failed"), `fail-${operationId}`);
  const failed = w.publisher.delivered(RestoreFailed).find((e) => e.detail.operationId === operationId)!;
  await cleanup.onRestoreFailed(w.deps, failed);
  return failed;
}

describe("shared snapshot copies", () => {
  test("three targets of one snapshot make one shareable copy and one target copy, each shared and used by all three", async () => {
    const w = await createWorld(backend(), [planOfTargets(3)]);
    const { ids, requests } = await started(w);
    expect(ids).toHaveLength(3);
    // Concurrent deliveries: the three prepares race for the same copy.
    await Promise.all(requests.map((r) => onRestoreRequested(w.deps, r)));

    expect(shareCopiesIn(w)).toHaveLength(1);
    const arns = new Set((await operations(w, ids)).map((o) => o.outputs.shareableSnapshotArn));
    expect(arns.size).toBe(1);
    const ref = decodeSharedCopy((await w.store.get(ids[0]!))!.outputs.shareableCopy)!;
    expect((await w.store.sharedCopy(ref.copyKey, ref.lane))?.users?.sort()).toEqual([...ids].sort());

    w.rds.settle();
    await checkWatches(w.deps, "tick-share");
    for (const copied of w.publisher.delivered(SourceSnapshotCopied))
      await onSourceSnapshotCopied(w.deps, copied);
    const shares = w.rds.callsOf("shareClusterSnapshot");
    expect(shares.map((s) => (s.input as { snapshotIdentifier: string }).snapshotIdentifier)).toEqual(
      Array(3).fill(sharedCopyIdentifier(ref, "share")),
    );

    // Two hops (the world's target is in another account and region): both copies are shared.
    await Promise.all(w.publisher.delivered(SnapshotAvailable).map((e) => onSnapshotAvailable(w.deps, e)));
    w.rds.settle();
    await checkWatches(w.deps, "tick-hop");
    const hops = w.publisher.delivered(SnapshotAvailable).slice(3);
    expect(new Set(hops.map((e) => e.detail.snapshot.arn)).size).toBe(1);
    await Promise.all(hops.map((e) => onSnapshotAvailable(w.deps, e)));
    w.rds.settle();
    await checkWatches(w.deps, "tick-copy");
    // Racing joiners may each request a copy before one records the request: RDS refuses all but one name.
    const inTarget = (region: string) =>
      [...w.rds.snapshots.keys()].filter((k) => k.startsWith(`222222222222/${region}/`));
    expect(inTarget("us-east-1")).toHaveLength(1);
    expect(inTarget("eu-west-1")).toHaveLength(1);
    const completed = w.publisher.delivered(CopyCompleted);
    expect(completed).toHaveLength(3);
    expect(new Set(completed.map((e) => e.detail.snapshot.arn)).size).toBe(1);
  });

  test("the copies survive until the last operation ends; a replayed cleanup neither deletes early nor twice", async () => {
    const w = await createWorld(backend(), [planOfTargets(3)]);
    const { ids, requests } = await started(w);
    for (const r of requests) await onRestoreRequested(w.deps, r);
    const share = (await w.store.get(ids[0]!))!.outputs.shareableSnapshotArn as string;
    const identifier = share.split(":").pop()!;

    const first = await failAndCleanUp(w, ids[0]!);
    await failAndCleanUp(w, ids[1]!);
    // A replay of the first operation's RestoreFailed after its cleanup, and a concurrent duplicate.
    await Promise.all([
      cleanup.onRestoreFailed(w.deps, { ...first, id: "replayed" }),
      cleanup.onRestoreFailed(w.deps, first),
    ]);
    expect(deletesOf(w, identifier)).toHaveLength(0);
    expect(w.rds.snapshot(sourceLocation, identifier)).toBeDefined();

    await failAndCleanUp(w, ids[2]!);
    expect(deletesOf(w, identifier)).toHaveLength(1);
    expect(w.rds.snapshot(sourceLocation, identifier)).toBeUndefined();
    const ref = decodeSharedCopy((await w.store.get(ids[2]!))!.outputs.shareableCopy)!;
    const item = await w.store.sharedCopy(ref.copyKey, ref.lane);
    expect(item).toMatchObject({ state: "retiring", generation: 1 });
    expect(item?.users ?? []).toEqual([]);
    expect(item?.deleting ?? []).toEqual([]);
  });

  test("a delivery that lost its step and comes back after the operation ended cannot join again, nor re-make a copy", async () => {
    const w = await createWorld(backend(), [planOfTargets(2)]);
    const { ids, requests } = await started(w);
    for (const r of requests) await onRestoreRequested(w.deps, r);
    const stale = (await w.store.get(ids[0]!))!;
    await failAndCleanUp(w, ids[0]!);

    const late = await joinSharedCopy(w.deps, stale, {
      copyKey: decodeSharedCopy(stale.outputs.shareableCopy)!.copyKey,
      outputKey: "shareableCopy",
      scope: sourceLocation,
      suffix: "share",
      joiner: { user: stale.operationId },
      outputsFor: () => ({}),
    });
    expect(late).toBeUndefined();
    await failAndCleanUp(w, ids[1]!);
    // Retired with every user gone: the late join of a stale copy of the operation cannot start a generation.
    const again = await joinSharedCopy(w.deps, stale, {
      copyKey: decodeSharedCopy(stale.outputs.shareableCopy)!.copyKey,
      outputKey: "shareableCopy",
      scope: sourceLocation,
      suffix: "share",
      joiner: { user: stale.operationId },
      outputsFor: () => ({}),
    });
    expect(again).toBeUndefined();
    const ref = decodeSharedCopy(stale.outputs.shareableCopy)!;
    expect(await w.store.sharedCopy(ref.copyKey, ref.lane)).toMatchObject({
      generation: 1,
      state: "retiring",
    });
    expect(shareCopiesIn(w)).toHaveLength(1);
  });

  test("an operation that ended after claiming its copy but before joining it: a late join finds it left", async () => {
    const w = await createWorld(backend());
    const ref = { copyKey: "0123456789abcdef0123", lane: 0, generation: 1 };
    const seeded = await w.seedOperation("preparing-snapshot", {
      shareableCopy: encodeSharedCopy(ref),
      shareableSnapshotArn: `arn:aws:rds:us-east-1:111111111111:cluster-snapshot:${sharedCopyIdentifier(ref, "share")}`,
    });
    const user = seeded.operationId;
    // Its claim recorded the generation; the delivery stalls before joining, and the operation ends.
    const stale = (await w.store.recordOutputs(seeded, { shareableCopyUser: user }))!;
    await failAndCleanUp(w, user);
    expect(await w.store.sharedCopy(ref.copyKey, ref.lane)).toMatchObject({
      generation: 1,
      state: "retiring",
      left: [user],
    });
    const late = await joinSharedCopy(w.deps, stale, {
      copyKey: ref.copyKey,
      outputKey: "shareableCopy",
      scope: sourceLocation,
      suffix: "share",
      joiner: { user },
      choice: { ref, join: "start" },
      outputsFor: () => ({}),
    });
    expect(late).toBeUndefined();
    expect((await w.store.sharedCopy(ref.copyKey, ref.lane))?.users ?? []).toEqual([]);

    // The same for a generation it would have renewed: the lane moves to it, retired, without a copy.
    const next = { ...ref, generation: 2 };
    const renewing = await w.seedOperation("preparing-snapshot", {
      shareableCopy: encodeSharedCopy(next),
      shareableSnapshotArn: `arn:aws:rds:us-east-1:111111111111:cluster-snapshot:${sharedCopyIdentifier(next, "share")}`,
    });
    const staleRenew = (await w.store.recordOutputs(renewing, { shareableCopyUser: renewing.operationId }))!;
    await failAndCleanUp(w, renewing.operationId);
    const lateRenew = await joinSharedCopy(w.deps, staleRenew, {
      copyKey: ref.copyKey,
      outputKey: "shareableCopy",
      scope: sourceLocation,
      suffix: "share",
      joiner: { user: renewing.operationId },
      choice: { ref: next, join: "renew", previous: { state: "retiring" } },
      outputsFor: () => ({}),
    });
    expect(lateRenew).toBeUndefined();
    expect(await w.store.sharedCopy(ref.copyKey, ref.lane)).toMatchObject({
      generation: 2,
      state: "retiring",
      left: [renewing.operationId],
    });
    expect(w.rds.callsOf("copyClusterSnapshot")).toHaveLength(0);
  });

  test("a retried failed operation joins the copy others still use, or makes a new one once it was deleted", async () => {
    const w = await createWorld(backend(), [planOfTargets(2)]);
    const { ids, requests } = await started(w);
    for (const r of requests) await onRestoreRequested(w.deps, r);
    const firstRef = decodeSharedCopy((await w.store.get(ids[0]!))!.outputs.shareableCopy)!;
    await failAndCleanUp(w, ids[0]!);

    const retry = (id: string, eventId: string) =>
      onRetryRequested(
        w.deps,
        w.deliver(
          RetryRequested,
          {
            ...w.meta({ operationId: id, correlationId: "retry" } as never),
            fromStart: false,
            requestedBy: "cli:alice",
          },
          eventId,
        ),
      );
    // The second target still uses generation 1: the retry finds it, no second copy.
    await retry(ids[0]!, "retry-1");
    const resumed = w.publisher.delivered(RestoreRequested).filter((r) => r.detail.operationId === ids[0]);
    await onRestoreRequested(w.deps, resumed.at(-1)!);
    const retried = (await w.store.get(ids[0]!))!;
    expect(decodeSharedCopy(retried.outputs.shareableCopy)).toEqual(firstRef);
    expect(retried.outputs.shareableCopyUser).toBe(`${ids[0]}#retry-1`);
    expect(shareCopiesIn(w)).toHaveLength(1);

    // Both end: the copy is deleted. A second retry makes generation 2 under a new name.
    await failAndCleanUp(w, ids[1]!);
    await failAndCleanUp(w, ids[0]!);
    const gone = sharedCopyIdentifier(firstRef, "share");
    expect(deletesOf(w, gone)).toHaveLength(1);
    await retry(ids[0]!, "retry-2");
    const again = w.publisher.delivered(RestoreRequested).filter((r) => r.detail.operationId === ids[0]);
    await onRestoreRequested(w.deps, again.at(-1)!);
    const renewed = decodeSharedCopy((await w.store.get(ids[0]!))!.outputs.shareableCopy)!;
    expect(renewed).toEqual({ ...firstRef, generation: 2 });
    expect(shareCopiesIn(w).map((c) => (c.input as { targetIdentifier: string }).targetIdentifier)).toEqual([
      gone,
      sharedCopyIdentifier(renewed, "share"),
    ]);
  });

  test("a kept target copy that a retry does not reuse (it starts over) is left by the retry, and deleted", async () => {
    const w = await createWorld(backend(), [planOfTargets(1, { keepFailedResourcesHours: 24 })]);
    const { ids, requests } = await started(w);
    await onRestoreRequested(w.deps, requests[0]!);
    w.rds.settle();
    await checkWatches(w.deps, "tick-share");
    await onSourceSnapshotCopied(w.deps, w.publisher.only(SourceSnapshotCopied));
    await onSnapshotAvailable(w.deps, w.publisher.only(SnapshotAvailable));
    w.rds.settle();
    await checkWatches(w.deps, "tick-hop");
    await onSnapshotAvailable(w.deps, w.publisher.delivered(SnapshotAvailable)[1]!);
    await failAndCleanUp(w, ids[0]!, "copy");
    const failed = (await w.store.get(ids[0]!))!;
    const kept = failed.kept?.targetSnapshot;
    expect(kept).toBe(sharedCopyIdentifier(decodeSharedCopy(failed.outputs.targetCopy)!, "copy"));
    expect(deletesOf(w, kept!)).toHaveLength(0);

    const outcome = await onRetryRequested(
      w.deps,
      w.deliver(RetryRequested, {
        ...w.meta({ operationId: ids[0]!, correlationId: "retry" } as never),
        fromStart: false,
        requestedBy: "cli:alice",
      }),
    );
    expect(outcome).toMatchObject({ outcome: "resumed", resumeAt: "prepare" });
    expect(deletesOf(w, kept!)).toHaveLength(1);
    const ref = decodeSharedCopy(failed.outputs.targetCopy)!;
    expect(await w.store.sharedCopy(ref.copyKey, ref.lane)).toMatchObject({ state: "retiring" });
  });

  test("a cleanup that crashed after leaving, before deleting the copy, deletes it and records it when it runs again", async () => {
    const w = await createWorld(backend(), [planOfTargets(1)]);
    const { ids, requests } = await started(w);
    await onRestoreRequested(w.deps, requests[0]!);
    const operation = (await w.store.get(ids[0]!))!;
    const ref = decodeSharedCopy(operation.outputs.shareableCopy)!;
    // The crashed run's first write: it left (the last user: nobody can join any more), and died there.
    await w.store.leaveSharedCopy(
      ref,
      sharedCopyUserOf(operation, "shareableCopy", "shareableCopyUser")!,
      false,
    );
    expect(await w.store.sharedCopy(ref.copyKey, ref.lane)).toMatchObject({ state: "active" });
    expect((await w.store.sharedCopy(ref.copyKey, ref.lane))?.users).toBeUndefined();

    await failAndCleanUp(w, ids[0]!);
    expect(deletesOf(w, sharedCopyIdentifier(ref, "share"))).toHaveLength(1);
    expect(await w.store.sharedCopy(ref.copyKey, ref.lane)).toMatchObject({ state: "retiring" });
  });

  test("a generation whose last user left cannot be joined: the next operation renews the lane and hands the old copy on to `deleting`", async () => {
    const w = await createWorld(backend(), [planOfTargets(1)]);
    const { ids, requests } = await started(w);
    await onRestoreRequested(w.deps, requests[0]!);
    const operation = (await w.store.get(ids[0]!))!;
    const ref = decodeSharedCopy(operation.outputs.shareableCopy)!;
    const old = sharedCopyIdentifier(ref, "share");
    // The cleanup left (the last user) and died before deleting the copy.
    await w.store.leaveSharedCopy(
      ref,
      sharedCopyUserOf(operation, "shareableCopy", "shareableCopyUser")!,
      false,
    );
    const late = { user: "late-run", account: "333333333333", maxAccounts: 20 };
    expect(await w.store.joinSharedCopy(ref, late)).toBeUndefined();
    const choice = await chooseSharedCopy(w.deps, ref.copyKey, late);
    expect(choice).toMatchObject({
      ref: { ...ref, generation: 2 },
      join: "renew",
      previous: { state: "active" },
    });
    const renewed = await w.store.renewSharedCopy(choice.ref, late, choice.previous!, old);
    expect(renewed).toMatchObject({ generation: 2, state: "active", users: ["late-run"], deleting: [old] });

    // The crashed cleanup runs again: it finds the copy in `deleting`, deletes it once and forgets it.
    await failAndCleanUp(w, ids[0]!);
    expect(deletesOf(w, old)).toHaveLength(1);
    const item = await w.store.sharedCopy(ref.copyKey, ref.lane);
    expect(item).toMatchObject({ generation: 2, state: "active", users: ["late-run"] });
    expect(item?.deleting ?? []).toEqual([]);
  });

  test("the last user deletes the copy while another operation renews the lane: deleted once, nothing left to delete", async () => {
    const w = await createWorld(backend(), [planOfTargets(1)]);
    const { ids, requests } = await started(w);
    await onRestoreRequested(w.deps, requests[0]!);
    const ref = decodeSharedCopy((await w.store.get(ids[0]!))!.outputs.shareableCopy)!;
    const old = sharedCopyIdentifier(ref, "share");
    const late = { user: "late-run", account: "333333333333", maxAccounts: 20 };
    // Between the last leave and the record of the deletion, another operation renews the lane.
    const rds = w.deps.rds;
    w.deps.rds = (scope) =>
      new Proxy(rds(scope), {
        get(port, key, receiver) {
          if (key !== "deleteClusterSnapshot") return Reflect.get(port, key, receiver);
          return async (identifier: string) => {
            if (identifier === old) {
              const choice = await chooseSharedCopy(w.deps, ref.copyKey, late);
              expect(await w.store.renewSharedCopy(choice.ref, late, choice.previous!, old)).toBeDefined();
            }
            return port.deleteClusterSnapshot(identifier);
          };
        },
      });
    await failAndCleanUp(w, ids[0]!);
    expect(deletesOf(w, old)).toHaveLength(1);
    const item = await w.store.sharedCopy(ref.copyKey, ref.lane);
    expect(item).toMatchObject({ generation: 2, state: "active", users: ["late-run"] });
    expect(item?.deleting ?? []).toEqual([]);
  });

  test("a run that claimed the next generation and ended before joining it starts it retired, and deletes the copy its last user left", async () => {
    const w = await createWorld(backend(), [planOfTargets(1)]);
    const { ids, requests } = await started(w);
    await onRestoreRequested(w.deps, requests[0]!);
    const operation = (await w.store.get(ids[0]!))!;
    const ref = decodeSharedCopy(operation.outputs.shareableCopy)!;
    const old = sharedCopyIdentifier(ref, "share");
    await w.store.leaveSharedCopy(
      ref,
      sharedCopyUserOf(operation, "shareableCopy", "shareableCopyUser")!,
      false,
    );
    // Another run chose generation 2 (recorded with its claim), and ended before joining it.
    const next = { ...ref, generation: 2 };
    const outputs = {
      shareableCopy: encodeSharedCopy(next),
      shareableCopyUser: "late-run",
      shareableSnapshotArn: operation.outputs.shareableSnapshotArn as string,
    };
    const request = {
      outputKey: "shareableCopy",
      userKey: "shareableCopyUser",
      suffix: "share",
      keep: false,
    } as const;
    expect(await releaseSharedCopy(w.deps, { operationId: "late-op", outputs }, request)).toMatchObject({
      deleted: [old],
    });
    const item = await w.store.sharedCopy(ref.copyKey, ref.lane);
    expect(item).toMatchObject({ generation: 2, state: "retiring", left: ["late-run"] });
    expect(item?.deleting ?? []).toEqual([]);
    expect(await w.store.joinSharedCopy(next, { user: "late-run" })).toBeUndefined();

    // The first run's cleanup (it had died after leaving) has nothing more to do.
    await failAndCleanUp(w, ids[0]!);
    expect(deletesOf(w, old)).toHaveLength(1);
  });

  test("a plan that keeps intermediate snapshots leaves the shared copy in place when the last operation ends", async () => {
    const w = await createWorld(backend(), [planOfTargets(2, { keepIntermediateSnapshots: true })]);
    const { ids, requests } = await started(w);
    for (const r of requests) await onRestoreRequested(w.deps, r);
    const ref = decodeSharedCopy((await w.store.get(ids[0]!))!.outputs.shareableCopy)!;
    await failAndCleanUp(w, ids[0]!);
    await failAndCleanUp(w, ids[1]!);
    expect(w.rds.callsOf("deleteClusterSnapshot")).toHaveLength(0);
    expect(await w.store.sharedCopy(ref.copyKey, ref.lane)).toMatchObject({ state: "retiring", keep: true });
  });
});

describe("shared copy storage", () => {
  test("one copy is shared with at most 20 accounts: the 21st account joins another lane", async () => {
    const w = await createWorld(backend());
    const copyKey = "0123456789abcdef0123";
    const joiner = (i: number) => ({
      user: `op-${i}`,
      account: String(100000000000 + i),
      maxAccounts: 20,
    });
    await w.store.startSharedCopy({ copyKey, lane: 0, ...sourceLocation }, joiner(0));
    for (let i = 1; i < 20; i++) {
      expect(await w.store.joinSharedCopy({ copyKey, lane: 0, generation: 1 }, joiner(i))).toBeDefined();
    }
    expect(await w.store.joinSharedCopy({ copyKey, lane: 0, generation: 1 }, joiner(20))).toBeUndefined();
    // An account already there may still join.
    expect(
      await w.store.joinSharedCopy({ copyKey, lane: 0, generation: 1 }, { ...joiner(3), user: "op-again" }),
    ).toBeDefined();
    const { chooseSharedCopy } = await import("../../src/stages/kit/shared-copies");
    expect(await chooseSharedCopy(w.deps, copyKey, joiner(20))).toEqual({
      ref: { copyKey, lane: 1, generation: 1 },
      join: "start",
    });
  });
});
