import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { complianceProfiles } from "@aurora-restore/core/plan/schema";
import type { AuditEntryInfo } from "@aurora-restore/core/storage/audit";
import type { OperationInfo } from "@aurora-restore/core/storage/operations";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordReliability } from "../../../../test/reliability/record";
import { listAllOperations } from "../../src/runtime/open-state";
import { baselineRefresh } from "./support/baseline";
import { type ReliabilityWorld, sideEffectTotals, startReliabilityWorld, targetPlan } from "./support/world";

/**
 * Suite 7 of the reliability suite, "Audit": the trail is append-only, a replay of the bus's whole archive
 * after the refreshes ended changes nothing but adds `ignored-duplicate` entries, and every entry is kept as
 * long as the compliance profile recorded on its operation says, whatever the plan says (or fails to) later.
 *
 * Append-only at IAM is checked where the policies are made: packages/functions/test/permissions.test.ts
 * ("<stage> gets only put/get/query on the audit table", and the rejected UpdateItem, DeleteItem and
 * BatchWriteItem statements), and the storage test refuses to overwrite an entry
 * (packages/core/test/storage: "appends audit entries with a TTL ... and rejects a duplicate entry").
 */

const day = 86_400;

/** Everything in the audit table for the operations, keyed by entry id. */
async function auditOf(world: ReliabilityWorld, operations: readonly OperationInfo[]) {
  const entries = new Map<string, AuditEntryInfo>();
  for (const operation of operations) {
    for (const entry of await world.runtime.audit.listByOperation(operation.operationId)) {
      entries.set(`${entry.operationId} ${entry.entryId}`, entry);
    }
  }
  return entries;
}

describe("Audit", () => {
  let world: ReliabilityWorld;
  let operations: OperationInfo[];

  beforeAll(async () => {
    world = await startReliabilityWorld();
    await baselineRefresh(world);
    // A second plan, refreshed twice (the second refresh replaces the clusters), all under pci.
    await world.plan("audited", "audited", 2);
    await world.snapshot("audited-1");
    await world.ended("audited", 2, 60_000);
    await world.runtime.idle();
    await world.snapshot("audited-2");
    await world.ended("audited", 4, 60_000);
    await world.runtime.idle();
    operations = await listAllOperations(world.runtime.store);
    expect(operations.map((o) => o.status)).toEqual(operations.map(() => "succeeded"));
  }, 180_000);

  afterAll(async () => {
    await world?.stop();
  });

  it("the audit log has no way to change or remove an entry", () => {
    const api = world.runtime.audit as unknown as Record<string, unknown>;
    // Appends and reads only (listWrittenSince: replay's report of what each event did).
    expect(Object.keys(api).sort()).toEqual([
      "append",
      "appendRun",
      "listByOperation",
      "listByTarget",
      "listWrittenSince",
    ]);
  });

  /** Replays the whole archive of the pipeline bus and waits until every replayed delivery has run. */
  async function replayEverything(name: string) {
    const { bridge, pipelineBus } = world.runtime;
    const archive = bridge.listArchives().find((a) => a.eventSourceArn === pipelineBus.arn)!;
    const archived = bridge.archivedEvents(archive.archiveName);
    const invocations = bridge.metrics.invocations;
    bridge.startReplay({
      replayName: name,
      eventSourceArn: archive.archiveArn,
      eventStartTime: new Date(Date.now() - 3_600_000),
      eventEndTime: new Date(Date.now() + 60_000),
      destination: { arn: pipelineBus.arn },
    });
    await world.runtime.idle();
    const replay = bridge.describeReplay(name);
    expect(replay.state).toBe("COMPLETED");
    expect(replay.eventsReplayed).toBe(archived.length);
    return { events: archived.length, deliveries: bridge.metrics.invocations - invocations };
  }

  it("a replay of the whole archive changes no operation, makes no side effect and adds only ignored-duplicate entries", async () => {
    const { calls } = world.runtime;
    const before = { operations, audit: await auditOf(world, operations), calls: calls.calls.length };
    const deadLetters = world.runtime.bridge.listDeadLetters().length;

    const replayed = await replayEverything("everything-1");

    const after = await listAllOperations(world.runtime.store);
    const made = calls.calls.slice(before.calls);
    // The watcher's own schedule keeps describing snapshots meanwhile; nothing else may call a port.
    const byReplay = made.filter((c) => c.stage !== "watcher");
    const added = [...(await auditOf(world, after)).entries()].filter(([key]) => !before.audit.has(key));
    recordReliability("audit-replay", {
      events: replayed.deliveries,
      duplicates: replayed.deliveries,
      repeatedSideEffects: Object.values(sideEffectTotals(made)).reduce((a, b) => a + b, 0),
    });
    console.log(
      `audit-replay: ${replayed.events} archived events replayed (${replayed.deliveries} deliveries), ` +
        `${added.length} audit entries added, ${byReplay.length} port calls by the replayed deliveries`,
    );

    expect(replayed.events).toBeGreaterThan(20);
    expect(after).toEqual(before.operations);
    expect(sideEffectTotals(made)).toEqual({});
    expect(byReplay.map((c) => `${c.stage} ${c.port}.${c.call} ${c.subject ?? ""}`)).toEqual([]);
    expect(added.length).toBeGreaterThan(0);
    expect(added.filter(([, e]) => e.outcome !== "ignored-duplicate").map(([, e]) => e)).toEqual([]);
    // Every entry there was is still there, unchanged.
    const now = await auditOf(world, after);
    for (const [key, entry] of before.audit) expect(now.get(key)).toEqual(entry);
    expect(world.runtime.bridge.listDeadLetters()).toHaveLength(deadLetters);
  }, 120_000);

  it("retention follows the profile recorded on the operation: the plan changed, then unreadable, never a fallback", async () => {
    const expiry = (e: AuditEntryInfo) => e.expiresAt - Math.floor(Date.parse(e.at) / 1000);
    const pci = complianceProfiles.pci * day;
    expect(pci).toBe(365 * day);
    // A delivery's records share one item, kept for the profile's days after its last record: each record
    // at least that long, and no longer than the delivery took (well under an hour) beyond it.
    const keptFor = (e: AuditEntryInfo, retention: number) =>
      expiry(e) >= retention && expiry(e) < retention + 3600;
    const days = (e: AuditEntryInfo) => `${e.operationId} ${e.stage} ${e.action}: ${expiry(e) / day} days`;
    // Every plan of this world is pci: every entry so far is kept 365 days.
    const initial = [...(await auditOf(world, operations)).values()];
    expect(initial.filter((e) => !keptFor(e, pci)).map(days)).toEqual([]);

    // The plan now asks for the default profile (90 days): entries of operations started under pci keep 365.
    const plan = operations.find((o) => o.planId === "audited")!;
    const names = operations.filter((o) => o.planId === "audited").map((o) => o.target.clusterIdentifier);
    await world.runtime.registerPlan({
      ...targetPlan("audited", [...new Set(names)], world.runtime.topicArn),
      compliance: "default",
    });
    const beforeChanged = await auditOf(world, operations);
    const changed = await replayEverything("after-plan-changed");
    const afterChanged = [...(await auditOf(world, operations)).entries()].filter(
      ([key]) => !beforeChanged.has(key),
    );

    // The plan file cannot be read at all now.
    await writeFile(join(world.runtime.plans.directory, `${plan.planId}.json`), "{ not a plan");
    await expect(world.runtime.plans.get(plan.planId)).rejects.toThrow();
    const beforeUnreadable = await auditOf(world, operations);
    const unreadable = await replayEverything("after-plan-unreadable");
    const afterUnreadable = [...(await auditOf(world, operations)).entries()].filter(
      ([key]) => !beforeUnreadable.has(key),
    );
    recordReliability("audit-replay", {
      events: changed.deliveries + unreadable.deliveries,
      duplicates: changed.deliveries + unreadable.deliveries,
    });

    for (const added of [afterChanged, afterUnreadable].map((list) => list.map(([, e]) => e))) {
      const ofPlan = added.filter((e) =>
        operations.some((o) => o.operationId === e.operationId && o.planId === "audited"),
      );
      expect(ofPlan.length).toBeGreaterThan(0);
      expect(added.filter((e) => !keptFor(e, pci)).map(days)).toEqual([]);
      expect(added.filter((e) => e.outcome !== "ignored-duplicate").map(days)).toEqual([]);
    }
  }, 120_000);
});
