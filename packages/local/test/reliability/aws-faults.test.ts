import { targetKeyOf } from "@aurora-restore/core/operation/ids";
import { isAwsCallError } from "@aurora-restore/core/ports/errors";
import type { OperationInfo } from "@aurora-restore/core/storage/operations";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordReliability } from "../../../../test/reliability/record";
import { requestManualRestore } from "../../src/runtime/manual-restore";
import { baselineRefresh } from "./support/baseline";
import {
  awsFault,
  dropRdsEvents,
  isAwsPort,
  type SdkErrorShape,
  sdkErrors,
  seededRandom,
  whyStuck,
} from "./support/faults";
import {
  type ReliabilityWorld,
  repeatedSideEffects,
  sharedCopyEffects,
  sideEffectTotals,
  staging,
  startReliabilityWorld,
  users,
} from "./support/world";

/**
 * Suite 3 of the reliability suite, "AWS faults": transient AWS errors on every AWS port call are retried
 * to success without doubling a side effect; permanent ones (access denied, an inaccessible key, a quota)
 * fail the operation clearly and leave nothing behind; a dropped RDS event is made up for by the watcher.
 */

const operations = Number(process.env.AURORA_RESTORE_FAULT_OPERATIONS ?? 20);
const faultRate = 0.2;
const timeoutMs = Number(process.env.AURORA_RESTORE_FAULT_TIMEOUT_MS ?? 240_000);
/**
 * As a deployed stage retries (deploy config `delivery`: 185 attempts over up to a day), with the local bus's
 * short backoff (250 ms doubling to 4 s): a handler rethrows a retryable error and the bus delivers again.
 */
const deployedDelivery = { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 };
const seed = Number(process.env.AURORA_RESTORE_FAULT_SEED ?? 20_250_601);

describe("AWS faults", () => {
  let world: ReliabilityWorld;
  let perRefresh: Record<string, number>;

  beforeAll(async () => {
    world = await startReliabilityWorld({ deliveryRetryPolicy: deployedDelivery });
    perRefresh = await baselineRefresh(world);
  }, 120_000);

  afterAll(async () => {
    await world?.stop();
  });

  it(`${Math.round(faultRate * 100)}% throttling/5xx on every AWS call: ${operations} refreshes retried to success, each side effect once`, async () => {
    await world.plan("faults", "faults", operations);
    const { calls } = world.runtime;
    calls.reset();
    const injectedBefore = calls.injected;
    const random = seededRandom(seed);
    const transient = [sdkErrors.throttling, sdkErrors.internalFailure, sdkErrors.serviceUnavailable];
    const byCode: Record<string, number> = {};
    calls.faults = (call, phase) => {
      if (phase !== "before" || !isAwsPort(call.port) || random() >= faultRate) return undefined;
      const error = awsFault(call, transient[Math.floor(random() * transient.length)]!);
      byCode[error.code] = (byCode[error.code] ?? 0) + 1;
      return error;
    };

    const retriesBefore = world.runtime.bridge.metrics.retries;
    const started = Date.now();
    await world.snapshot("faults-1");
    let ended: OperationInfo[] = [];
    try {
      ended = await world.ended("faults", operations, timeoutMs).catch(async (error: Error) => {
        throw new Error(`${error.message.split("\n")[0]}\n${await whyStuck(world, "faults")}`);
      });
      await world.runtime.idle();
    } finally {
      calls.faults = undefined;
    }
    // Notify and cleanup run after the operation ends; a throttled delivery of its outcome is retried by the
    // bus with back-off, which idle() does not wait for: wait for them.
    const outcomeDeadline = Date.now() + 120_000;
    for (const operation of ended) {
      for (;;) {
        const effects = await world.runtime.store.effectsOf(operation.operationId);
        const done = ["notify", "cleanup"].every(
          (name) => effects.find((e) => e.effect === name)?.status === "completed",
        );
        if (done || Date.now() > outcomeDeadline) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    await world.runtime.idle();
    const faults = calls.injected - injectedBefore;
    const retries = world.runtime.bridge.metrics.retries - retriesBefore;
    const failed = ended.filter((o) => o.status !== "succeeded");
    const totals = sideEffectTotals(calls.calls);
    const shared = sharedCopyEffects(ended, calls.calls);
    const { repeated, differences } = repeatedSideEffects(totals, perRefresh, operations, shared.exactly);
    const succeeded = ended.filter((o) => o.status === "succeeded").map((o) => o.target.clusterIdentifier);
    const credentialProblems = (await Promise.all(succeeded.map((t) => world.credentialProblems(t)))).flat();
    const leftovers = await world.leftoverSnapshots();
    recordReliability("aws-faults", {
      operations: ended.length,
      faults,
      lost: operations - ended.filter((o) => o.status === "succeeded").length,
      repeatedSideEffects: repeated,
    });
    console.log(
      `aws-faults: ${ended.length} operations in ${((Date.now() - started) / 1000).toFixed(1)} s, ${faults} faults injected ` +
        `(${JSON.stringify(byCode)}), ${retries} deliveries retried by the bus, ${failed.length} failed, ` +
        `${repeated} repeated side effects, ${world.runtime.bridge.listDeadLetters().length} dead letters`,
    );

    expect(faults).toBeGreaterThan(operations * 5);
    // The handlers rethrew and the bus delivered again (nothing was retried inside a call).
    expect(retries).toBeGreaterThan(operations);
    expect(failed.map((o) => `${o.target.clusterIdentifier}: ${o.error?.stage} ${o.error?.message}`)).toEqual(
      [],
    );
    expect(differences).toEqual({});
    expect(shared.notOnce).toEqual([]);
    expect(calls.count("sns", "publish")).toBe(operations);
    expect(credentialProblems).toEqual([]);
    expect(leftovers).toEqual([]);
  }, 300_000);
});

interface PermanentFault {
  name: string;
  /** The stage whose call fails, the call, and a part of its subject (when it names the target). */
  stage: string;
  call: string;
  subject?: string;
  error: SdkErrorShape;
  /** The code the operation must report, and what its message must say to do. */
  code: string;
  fix: RegExp;
  /** Calls that succeeded before the fault: what the operation made, which must not be left behind. */
  made: string[];
}

const permanentFaults: PermanentFault[] = [
  {
    name: "a snapshot quota on the shareable copy",
    stage: "prepare",
    call: "copyClusterSnapshot",
    error: sdkErrors.snapshotQuota,
    made: [],
    code: "SnapshotQuotaExceededFault",
    fix: /delete intermediate manual snapshots .* or raise the quota/,
  },
  {
    name: "AccessDenied on the copy into the target account",
    stage: "copy",
    call: "copyClusterSnapshot",
    error: sdkErrors.accessDenied,
    made: ["prepare rds.copyClusterSnapshot"],
    code: "AccessDenied",
    fix: /check the IAM policy of the role/,
  },
  {
    name: "KMSKeyNotAccessibleFault on the restore",
    stage: "restore",
    call: "restoreClusterFromSnapshot",
    subject: "-next",
    error: sdkErrors.kmsKeyNotAccessible,
    made: ["prepare rds.copyClusterSnapshot", "copy rds.copyClusterSnapshot"],
    code: "KMSKeyNotAccessibleFault",
    fix: /the key policy must let this account use the key/,
  },
  {
    name: "an instance quota on the restored cluster's instance",
    stage: "restore",
    call: "createInstance",
    subject: "-next",
    error: sdkErrors.instanceQuota,
    made: ["restore rds.restoreClusterFromSnapshot"],
    code: "InstanceQuotaExceededFault",
    fix: /DB instances quota/,
  },
  {
    name: "AccessDeniedException on an application user's secret of an existing target",
    stage: "configure",
    call: "putSecretValue",
    subject: "app_reader",
    error: sdkErrors.accessDeniedException,
    made: ["restore rds.createInstance", "configure rds.modifyCluster", "configure secrets.putSecretValue"],
    code: "AccessDenied",
    fix: /check the IAM policy of the role/,
  },
];

describe("AWS faults that retrying cannot fix", () => {
  let world: ReliabilityWorld;
  let today: string;

  beforeAll(async () => {
    world = await startReliabilityWorld();
    // Every target exists (so a failure must leave it, its AWSCURRENT secrets included, as it was); each
    // case then refreshes its target by manual request (a new snapshot would start every target).
    await world.plan("denied", "denied", permanentFaults.length);
    await world.snapshot("denied-source");
    await world.ended("denied", permanentFaults.length, 120_000);
    await world.runtime.idle();
    world.runtime.calls.reset();
    today = new Date().toISOString().slice(0, 10);
  }, 180_000);

  afterAll(async () => {
    await world?.stop();
  });

  const refresh = async (target: string) => {
    const { operationId } = await requestManualRestore(world.runtime, {
      targetClusterId: target,
      sourceSnapshotDate: today,
      requestedBy: "aws-faults suite",
    });
    for (const end = Date.now() + 60_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      const operation = await world.runtime.store.get(operationId);
      if (operation && operation.status !== "running") {
        await world.runtime.idle();
        return (await world.runtime.store.get(operationId))!;
      }
    }
    throw new Error(`${target}: the refresh did not end\n${await whyStuck(world, "denied")}`);
  };

  it.each(permanentFaults.map((f, i) => [f.name, f, `denied-${String(i + 1).padStart(2, "0")}`] as const))(
    "%s fails the operation clearly, notifies once, releases the target and leaves nothing behind",
    async (_, fault, target) => {
      const { calls, store } = world.runtime;
      const injectedBefore = calls.injected;
      calls.faults = (call, phase) =>
        phase === "before" &&
        call.stage === fault.stage &&
        call.call === fault.call &&
        (fault.subject === undefined || call.subject?.includes(fault.subject) === true)
          ? awsFault(call, fault.error)
          : undefined;
      const callsBefore = calls.calls.length;
      let operation: OperationInfo;
      try {
        operation = await refresh(target);
      } finally {
        calls.faults = undefined;
      }
      const injected = calls.injected - injectedBefore;
      const mine = calls.calls.slice(callsBefore);
      recordReliability("aws-faults", { operations: 1, faults: injected });

      expect(injected).toBeGreaterThan(0);
      const succeeded = new Set(mine.filter((c) => c.ok).map((c) => `${c.stage} ${c.port}.${c.call}`));
      expect(fault.made.filter((call) => !succeeded.has(call))).toEqual([]);
      expect(operation.status).toBe("failed");
      expect(operation.error?.stage).toBe(fault.stage);
      expect(operation.error?.code).toBe(fault.code);
      expect(operation.error?.message).toContain(fault.error.name);
      expect(operation.error?.message).toMatch(fault.fix);
      // One notification, saying what failed where.
      const notifications = mine.filter((c) => c.port === "sns" && c.call === "publish" && c.ok);
      expect(notifications).toHaveLength(1);
      const message = (await world.runtime.sns.listMessages()).find(
        (m) => m.attributes?.operationId === operation.operationId,
      );
      expect(message?.subject).toContain(`${target} refresh failed`);
      expect(message?.message).toContain(`Failed stage: ${fault.stage}`);
      expect(message?.message).toContain(fault.code);
      // The target is free for the next refresh, and nothing the operation made is left.
      expect(await store.lockHolder(targetKeyOf(operation.target))).toBeUndefined();
      expect(await clusterExists(`${target}-next`)).toBe(false);
      expect(await world.leftoverSnapshots()).toEqual([]);
      expect(await pendingSecrets(target)).toEqual([]);
      // The target itself was not touched (the existing one still logs in with its AWSCURRENT secrets).
      if (await clusterExists(target)) expect(await world.credentialProblems(target)).toEqual([]);
    },
    60_000,
  );

  const clusterExists = async (identifier: string) => {
    try {
      await world.runtime.rds.port(staging).describeCluster(identifier);
      return true;
    } catch (error) {
      if (isAwsCallError(error, "DBClusterNotFoundFault")) return false;
      throw error;
    }
  };

  const pendingSecrets = async (target: string) => {
    const secrets = world.runtime.secrets.port(staging);
    const pending: string[] = [];
    for (const user of ["master", ...users]) {
      const name = `aurora-restore/${target}/${user}`;
      try {
        const { versions } = await secrets.describeSecret(name);
        for (const [versionId, stages] of Object.entries(versions)) {
          if (stages.includes("AWSPENDING")) pending.push(`${name} ${versionId}`);
        }
      } catch (error) {
        if (!isAwsCallError(error, "ResourceNotFoundException")) throw error;
      }
    }
    return pending;
  };
});

describe("RDS events that never come", () => {
  let world: ReliabilityWorld;
  /** The pipeline's clock runs ahead of RDS's by this much (the watcher leaves young snapshots to their event). */
  let aheadMs = 0;

  beforeAll(async () => {
    world = await startReliabilityWorld({ clock: () => new Date(Date.now() + aheadMs) });
  }, 60_000);

  afterAll(async () => {
    await world?.stop();
  });

  it("a lost snapshot event and lost cluster and instance events: the watcher starts and finishes the refresh", async () => {
    const [target] = await world.plan("dropped", "dropped", 1);
    const lost = dropRdsEvents(
      world.runtime,
      (detail) =>
        detail.EventID === "RDS-EVENT-0075" || // manual snapshot created: what starts the refresh
        detail.EventID === "RDS-EVENT-0170" || // DB cluster created
        detail.EventID === "RDS-EVENT-0005", // DB instance created
    );
    let operation: OperationInfo | undefined;
    try {
      await world.snapshot("dropped-1");
      await world.runtime.idle();
      // Nothing started: the trigger never heard of the snapshot...
      expect(await world.runtime.store.listByStatus("running")).toEqual([]);
      // ...until the watcher's reconciler finds it, once it is older than the 10 minutes RDS may be late.
      aheadMs = 11 * 60_000;
      [operation] = await world.ended("dropped", 1, 60_000);
      await world.runtime.idle();
    } finally {
      lost.restore();
    }
    recordReliability("aws-faults", {
      operations: 1,
      faults: lost.dropped.length,
      lost: operation?.status === "succeeded" ? 0 : 1,
    });
    console.log(`aws-faults: dropped ${lost.dropped.join(", ")}`);

    expect(lost.dropped).toEqual(
      expect.arrayContaining([
        "RDS-EVENT-0075 dropped-1",
        `RDS-EVENT-0170 ${target}-next`,
        `RDS-EVENT-0005 ${target}-next-1`,
      ]),
    );
    expect(operation?.status, operation?.error?.message).toBe("succeeded");
    expect(operation?.trigger).toBe("reconciler");
    expect(await world.credentialProblems(target!)).toEqual([]);
    expect(await world.leftoverSnapshots()).toEqual([]);
  }, 120_000);
});
