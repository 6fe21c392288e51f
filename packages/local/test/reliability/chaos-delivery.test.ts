import type { OperationInfo } from "@aurora-restore/core/storage/operations";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordReliability } from "../../../../test/reliability/record";
import {
  type ReliabilityWorld,
  repeatedSideEffects,
  sharedCopyEffects,
  sideEffectTotals,
  startReliabilityWorld,
} from "./support/world";

/**
 * Suite 1 of the reliability suite: every event delivered 2-3 times, shuffled and delayed up to 500 ms,
 * to every stage, on 50 concurrent refreshes with instant clusters. Each AWS side effect must happen as
 * often as in one undisturbed refresh times 50 (counted at the stages' ports), except the intermediate
 * copies, which the refreshes of one snapshot share: each made once and deleted once. One notification per
 * operation, no intermediate snapshot or AWSPENDING version left, and every AWSCURRENT must log in.
 */

const operations = Number(process.env.AURORA_RESTORE_CHAOS_OPERATIONS ?? 50);

describe("chaos delivery: duplicated, shuffled, delayed events", () => {
  let world: ReliabilityWorld;
  let perRefresh: Record<string, number>;

  beforeAll(async () => {
    world = await startReliabilityWorld();
    // One undisturbed refresh: what each refresh is expected to do, call for call.
    await world.plan("baseline", "base", 1, ["automated"]);
    await world.automatedSnapshot();
    const [baseline] = await world.ended("baseline", 1, 60_000);
    expect(baseline?.status, baseline?.error?.message).toBe("succeeded");
    await world.runtime.idle();
    perRefresh = sideEffectTotals(world.runtime.calls.calls);
    expect(perRefresh["rds.restoreClusterFromSnapshot"]).toBe(1);
  }, 120_000);

  afterAll(async () => {
    await world?.stop();
  });

  it(`${operations} refreshes: each side effect once, one notification each, nothing left behind`, async () => {
    const targets = await world.plan("chaos", "chaos", operations);
    world.runtime.calls.reset();
    const before = { ...world.runtime.bridge.metrics };
    world.runtime.bridge.setChaos({ duplicates: 2, maxDuplicates: 3, shuffle: true, maxDelayMs: 500 });

    await world.snapshot("chaos-1");
    let ended: OperationInfo[] = [];
    try {
      ended = await world.ended("chaos", operations, 240_000);
    } finally {
      await world.runtime.idle();
      world.runtime.bridge.setChaos(undefined);
    }
    const metrics = world.runtime.bridge.metrics;
    const events = metrics.invocations - before.invocations;
    const duplicates = metrics.duplicated - before.duplicated;

    const failed = ended.filter((o) => o.status !== "succeeded");
    const totals = sideEffectTotals(world.runtime.calls.calls);
    const shared = sharedCopyEffects(ended, world.runtime.calls.calls);
    const { repeated, differences } = repeatedSideEffects(totals, perRefresh, operations, shared.exactly);
    const credentialProblems = (await Promise.all(targets.map((t) => world.credentialProblems(t)))).flat();
    const leftovers = await world.leftoverSnapshots();
    const notified = world.runtime.calls.count("sns", "publish");
    recordReliability("chaos-delivery", {
      operations: ended.length,
      events,
      duplicates,
      lost: operations - ended.length,
      repeatedSideEffects: repeated,
    });
    console.log(
      `chaos-delivery: ${ended.length} operations, ${events} deliveries (${duplicates} duplicates), ` +
        `${failed.length} failed, ${repeated} repeated side effects`,
    );

    expect(failed.map((o) => `${o.target.clusterIdentifier}: ${o.error?.stage} ${o.error?.message}`)).toEqual(
      [],
    );
    expect(duplicates).toBeGreaterThanOrEqual(events / 3);
    if (Object.keys(differences).length > 0) {
      // Which resources got a side effect more than once, and from which stage.
      const seen = new Map<string, number>();
      for (const c of world.runtime.calls.calls) {
        if (!c.ok || !(`${c.port}.${c.call}` in differences)) continue;
        const key = `${c.stage} ${c.port}.${c.call} ${c.subject ?? ""} ${c.location ?? ""}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      console.log(
        [...seen]
          .filter(([, n]) => n > 1)
          .map(([k, n]) => `${n}x ${k}`)
          .join("\n"),
      );
    }
    expect(differences).toEqual({});
    expect(shared.notOnce).toEqual([]);
    expect(notified).toBe(operations);
    expect(credentialProblems).toEqual([]);
    expect(leftovers).toEqual([]);
    // The duplicates did nothing but say so in the audit trail.
    const trail = await world.runtime.audit.listByOperation(ended[0]!.operationId);
    expect(trail.some((e) => e.outcome === "ignored-duplicate")).toBe(true);
  }, 300_000);
});
