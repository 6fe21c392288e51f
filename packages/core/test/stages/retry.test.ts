import { describe, expect, test } from "vitest";
import {
  ClusterAvailable,
  ClusterConfigured,
  ClusterCreated,
  ClusterRenamed,
  CopyCompleted,
  KeptResourcesExpired,
  RestoreCompleted,
  RestoreFailed,
  RestoreRequested,
  RestoreVerified,
  RetryRequested,
} from "../../src/events/domain";
import type { Plan } from "../../src/plan/schema";
import * as cleanup from "../../src/stages/cleanup";
import { onClusterAvailable } from "../../src/stages/configure";
import { onClusterRenamed, onRestoreVerified } from "../../src/stages/cutover";
import * as notify from "../../src/stages/notify";
import { onClusterCreated, onCopyCompleted } from "../../src/stages/restore";
import { onRetryRequested, RetryRefusedError, RetryTooEarlyError } from "../../src/stages/trigger";
import { onClusterConfigured } from "../../src/stages/verify";
import { checkWatches, onSchedule } from "../../src/stages/watcher";
import { useDynalite } from "../support/dynalite";
import {
  createWorld,
  healthyAnswers,
  makePlan,
  nextHost,
  targetKey,
  targetLocation,
  type World,
} from "../support/world";
import { untilCopyCompleted } from "./chain";

const backend = useDynalite();

const failingSql = { name: "mask-emails", sql: "UPDATE customers SET emali = 'x'" };

/** A world whose plan keeps a failed operation's resources for a day, with a post-restore SQL that fails. */
async function failedAtConfigure(keepHours = 24) {
  const plans: Plan[] = [
    makePlan({
      plan: { retention: { keepFailedResourcesHours: keepHours } },
      target: { postRestoreSql: [failingSql] },
    }),
  ];
  const w = await createWorld(backend(), plans);
  w.database.addServer(nextHost, "postgres", "password-from-the-snapshot");
  w.database.passwordDelayLogins = 0;
  w.database.answer = (query) =>
    query.text.includes("emali") ? new Error('column "emali" does not exist') : healthyAnswers(query);
  const { operationId } = await untilCopyCompleted(w);
  await onCopyCompleted(w.deps, w.publisher.only(CopyCompleted));
  w.rds.settle();
  await checkWatches(w.deps, "tick-restore");
  await onClusterCreated(w.deps, w.publisher.only(ClusterCreated));
  w.rds.settle();
  await checkWatches(w.deps, "tick-instances");
  await onClusterAvailable(w.deps, w.publisher.only(ClusterAvailable));
  const failed = w.publisher.only(RestoreFailed);
  await notify.onRestoreFailed(w.deps, failed);
  await cleanup.onRestoreFailed(w.deps, failed);
  return { w, operationId, plans };
}

function retryEvent(w: World, operationId: string, fromStart = false, id?: string) {
  return w.deliver(
    RetryRequested,
    { ...w.meta({ operationId, correlationId: "retry" } as never), fromStart, requestedBy: "cli:alice" },
    id,
  );
}

async function runToCompletion(w: World) {
  await onClusterConfigured(w.deps, w.publisher.only(ClusterConfigured));
  await onRestoreVerified(w.deps, w.publisher.only(RestoreVerified));
  await onSchedule(w.deps, { id: "tick-rename" });
  await onClusterRenamed(w.deps, w.publisher.only(ClusterRenamed));
  const completed = w.publisher.only(RestoreCompleted);
  await notify.onRestoreCompleted(w.deps, completed);
  await cleanup.onRestoreCompleted(w.deps, completed);
}

describe("[slow] operations retry", { timeout: 60_000 }, () => {
  test("a post-restore SQL fixed in the plan re-runs configure on the kept -next cluster: no second copy or restore, one audit trail", async () => {
    const { w, operationId, plans } = await failedAtConfigure();
    const failed = await w.store.get(operationId);
    expect(failed?.error?.stage).toBe("configure");
    expect(failed?.kept).toMatchObject({ nextCluster: "staging-next" });
    expect(w.rds.cluster({ accountId: "222222222222", region: "eu-west-1" }, "staging-next")).toBeDefined();
    expect(await w.store.lockHolder(targetKey)).toBeUndefined();
    const copies = w.rds.callsOf("copyClusterSnapshot").length;
    const restores = w.rds.callsOf("restoreClusterFromSnapshot").length;

    plans[0] = makePlan({ plan: { retention: { keepFailedResourcesHours: 24 } } });
    const outcome = await onRetryRequested(w.deps, retryEvent(w, operationId));
    expect(outcome).toMatchObject({ outcome: "resumed", resumeAt: "configure", reused: ["staging-next"] });
    const reopened = await w.store.get(operationId);
    expect(reopened).toMatchObject({ step: "creating-instances", status: "running", retries: 1 });
    expect(reopened?.error).toBeUndefined();
    expect(await w.store.lockHolder(targetKey)).toBe(operationId);

    // The same request again, and a second retry while it runs, change nothing.
    const again = retryEvent(w, operationId, false, "retry-2");
    await expect(onRetryRequested(w.deps, again)).rejects.toThrow(RetryRefusedError);

    await checkWatches(w.deps, "tick-retry");
    const available = w.publisher.delivered(ClusterAvailable);
    await onClusterAvailable(w.deps, available.at(-1)!);
    await runToCompletion(w);

    const done = await w.store.get(operationId);
    expect(done?.step).toBe("completed");
    expect(w.rds.callsOf("copyClusterSnapshot")).toHaveLength(copies);
    expect(w.rds.callsOf("restoreClusterFromSnapshot")).toHaveLength(restores);
    // Two notifications: the failure, then the success of the retry.
    expect(w.sns.published.map((p) => p.attributes?.status)).toEqual(["failed", "succeeded"]);
    const trail = await w.auditOf(operationId);
    expect(trail).toContain("trigger:retry-operation:started");
    expect(trail.filter((e) => e === "cleanup:cleanup:succeeded")).toHaveLength(2);
    expect(await w.store.lockHolder(targetKey)).toBeUndefined();
  });

  test("a retry before the failed run's cleanup finished is retried later; one of a running operation is refused; --from-start starts a new operation", async () => {
    const { w, operationId } = await failedAtConfigure();
    await expect(onRetryRequested(w.deps, retryEvent(w, "op-nope"))).rejects.toThrow(/No operation op-nope/);

    const fresh = await createWorld(backend());
    const running = await fresh.seedOperation("copying");
    await expect(onRetryRequested(fresh.deps, retryEvent(fresh, running.operationId))).rejects.toThrow(
      /only a failed operation is retried/,
    );
    // Failed, but its cleanup has not run yet: retryable, and nothing moved.
    await fresh.store.releaseLock(targetKey, running.operationId);
    const uncleaned = await fresh.seedOperation("failed");
    const early = onRetryRequested(fresh.deps, retryEvent(fresh, uncleaned.operationId));
    await expect(early).rejects.toThrow(RetryTooEarlyError);
    await expect(early).rejects.toMatchObject({ retryable: true });
    expect((await fresh.store.get(uncleaned.operationId))?.step).toBe("failed");

    const started = await onRetryRequested(w.deps, retryEvent(w, operationId, true, "from-start-1"));
    expect(started.outcome).toBe("started");
    const newId = (started as { operationId: string }).operationId;
    expect(newId).toMatch(new RegExp(`^${operationId}-r[0-9a-f]{8}$`));
    expect(w.publisher.delivered(RestoreRequested).at(-1)?.detail.operationId).toBe(newId);
    // The same request delivered again starts nothing new.
    const duplicate = await onRetryRequested(w.deps, retryEvent(w, operationId, true, "from-start-1"));
    expect(duplicate.outcome).toBe("duplicate");
    expect(
      w.publisher.delivered(RestoreRequested).filter((e) => e.detail.operationId === newId),
    ).toHaveLength(1);
  });

  test("kept resources expire: the watcher announces them and cleanup deletes them once", async () => {
    const { w, operationId } = await failedAtConfigure(1);
    // The failed operation still uses the (shared) target copy it kept: nobody deleted it.
    const keptCopy = (await w.store.get(operationId))?.kept?.targetSnapshot;
    expect(keptCopy).toMatch(/^aurora-restore-[0-9a-f]{10}-copy$/);
    expect(w.rds.snapshot(targetLocation, keptCopy!)).toBeDefined();
    w.clock.advance(61 * 60_000);
    await onSchedule(w.deps, { id: "tick-expiry" });
    const expired = w.publisher.only(KeptResourcesExpired);
    await cleanup.onKeptResourcesExpired(w.deps, expired);
    await cleanup.onKeptResourcesExpired(w.deps, expired);
    expect(w.rds.cluster({ accountId: "222222222222", region: "eu-west-1" }, "staging-next")).toBeUndefined();
    expect((await w.store.get(operationId))?.kept).toBeUndefined();
    expect(w.rds.snapshot(targetLocation, keptCopy!)).toBeUndefined();
    expect(w.rds.callsOf("deleteClusterSnapshot").filter((c) => c.input === keptCopy)).toHaveLength(1);
    const trail = await w.auditOf(operationId);
    expect(trail.filter((e) => e === "cleanup:delete-kept-resources:succeeded")).toHaveLength(1);
    expect(trail).toContain("cleanup:delete-kept-resources:ignored-duplicate");
  });
});
