import type { ChangedResource } from "@aurora-restore/core/stages/watcher";
import { describe, expect, it } from "vitest";
import type { ResourceChange } from "../../src/rds/resource-changes";
import { settledChanges, WatcherWakeups } from "../../src/runtime/watcher-wakeups";

const here = { accountId: "222222222222", region: "eu-west-1" };
const named = (identifier: string): ChangedResource => ({ ...here, identifier });

/** A check that records its runs and waits until the test lets it finish. */
function gatedCheck() {
  const runs: { ids: string[]; runId: string }[] = [];
  const gates: (() => void)[] = [];
  return {
    runs,
    release: () => gates.shift()?.(),
    check: (changed: ChangedResource[], runId: string) => {
      runs.push({ ids: changed.map((c) => c.identifier), runId });
      return new Promise<void>((resolve) => gates.push(resolve));
    },
  };
}

describe("watcher wake-ups (local runtime)", () => {
  it("a change into a busy status wakes nothing; a resource that settled or is gone does", () => {
    const change = (identifier: string, status: string): ResourceChange => ({
      ...here,
      kind: "snapshot",
      identifier,
      status,
    });
    const settled = settledChanges([
      change("a", "copying"),
      change("b", "available"),
      change("c", "creating"),
      change("d", "failed"),
      change("e", "deleted"),
      change("f", "renaming"),
    ]);
    expect(settled.map((c) => c.identifier)).toEqual(["b", "d", "e"]);
  });

  it("runs nothing before start; then one run at a time, gathering what comes meanwhile into the next", async () => {
    const gate = gatedCheck();
    const errors: unknown[] = [];
    const wakeups = new WatcherWakeups({ check: gate.check, onError: (e) => errors.push(e) });
    const observed: string[] = [];
    wakeups.observe((runId) => observed.push(runId));

    wakeups.wake([named("early")]);
    await Promise.resolve();
    expect(gate.runs).toEqual([]);

    wakeups.start();
    await new Promise((resolve) => setImmediate(resolve));
    expect(gate.runs.map((r) => r.ids)).toEqual([["early"]]);

    // While the first run goes, three wake-ups (one twice) wait for one next run.
    wakeups.wake([named("copy-1"), named("copy-2")]);
    wakeups.wake([named("copy-1")]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(gate.runs).toHaveLength(1);

    gate.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(gate.runs.map((r) => r.ids)).toEqual([["early"], ["copy-1", "copy-2"]]);
    gate.release();
    await wakeups.idle();
    expect(observed).toEqual(gate.runs.map((r) => r.runId));
    expect(new Set(observed).size).toBe(2);
    expect(errors).toEqual([]);
  });

  it("a new watch is looked at when what it names has settled already, not while it is busy or unknown", async () => {
    const runs: string[][] = [];
    const wakeups = new WatcherWakeups({
      check: async (changed) => {
        runs.push(changed.map((c) => c.identifier));
      },
      onError: () => undefined,
    });
    wakeups.start();
    const change = (kind: ResourceChange["kind"], identifier: string, status: string): ResourceChange => ({
      ...here,
      kind,
      identifier,
      status,
    });
    // Nobody waits on them yet: nothing to look at.
    wakeups.resourcesChanged([change("snapshot", "copy", "copying"), change("cluster", "next", "available")]);
    await wakeups.idle();
    expect(runs).toEqual([]);

    // The copy is still copying: its coming change wakes the watcher, a check now would find it pending.
    wakeups.watchAdded({ ...here, kind: "snapshot-copy", resource: "copy" });
    // A cluster whose instance nobody reported yet; a snapshot of the same name as the cluster.
    wakeups.watchAdded({
      ...here,
      kind: "instances-available",
      resource: "next",
      context: { instances: ["next-1"] },
    });
    wakeups.watchAdded({ ...here, kind: "snapshot-copy", resource: "next" });
    await wakeups.idle();
    expect(runs).toEqual([]);

    wakeups.resourcesChanged([change("instance", "next-1", "creating")]);
    wakeups.watchAdded({
      ...here,
      kind: "instances-available",
      resource: "next",
      context: { instances: ["next-1"] },
    });
    await wakeups.idle();
    expect(runs).toEqual([]);

    // Settled before the watch was added (no change will come): looked at once added.
    wakeups.resourcesChanged([
      change("snapshot", "copy", "available"),
      change("instance", "next-1", "available"),
    ]);
    await wakeups.idle();
    runs.length = 0;
    wakeups.watchAdded({ ...here, kind: "snapshot-copy", resource: "copy" });
    await wakeups.idle();
    wakeups.watchAdded({
      ...here,
      kind: "instances-available",
      resource: "next",
      context: { instances: ["next-1"] },
    });
    await wakeups.idle();
    expect(runs).toEqual([["copy"], ["next"]]);
  });

  it("a settled change wakes the watcher only for a resource a recorded watch names, once per watch", async () => {
    const runs: string[][] = [];
    const wakeups = new WatcherWakeups({
      check: async (changed) => {
        runs.push(changed.map((c) => c.identifier));
      },
      onError: () => undefined,
    });
    wakeups.start();
    const change = (kind: ResourceChange["kind"], identifier: string, status: string): ResourceChange => ({
      ...here,
      kind,
      identifier,
      status,
    });
    wakeups.watchAdded({
      ...here,
      kind: "instances-available",
      resource: "next",
      context: { instances: ["next-1"] },
    });
    wakeups.resourcesChanged([
      change("cluster", "next", "creating"),
      change("cluster", "other", "available"),
    ]);
    await wakeups.idle();
    expect(runs).toEqual([]);
    wakeups.resourcesChanged([change("cluster", "next", "available")]);
    await wakeups.idle();
    wakeups.resourcesChanged([change("instance", "next-1", "available")]);
    await wakeups.idle();
    expect(runs).toEqual([["next"], ["next-1"]]);
    // Looked at: a later change of the same resources wakes nothing until a watch names them again.
    wakeups.resourcesChanged([
      change("cluster", "next", "available"),
      change("instance", "next-1", "available"),
    ]);
    await wakeups.idle();
    expect(runs).toHaveLength(2);
    // An ARN names the snapshot by its last part, in its own account and region only.
    wakeups.watchAdded({
      ...here,
      kind: "snapshot-copy",
      resource: `arn:aws:rds:${here.region}:${here.accountId}:cluster-snapshot:copy`,
    });
    wakeups.resourcesChanged([{ ...change("snapshot", "copy", "available"), accountId: "999999999999" }]);
    await wakeups.idle();
    expect(runs).toHaveLength(2);
    wakeups.resourcesChanged([change("snapshot", "copy", "available")]);
    await wakeups.idle();
    expect(runs.at(-1)).toEqual(["copy"]);
  });

  it("a failing run is reported and does not stop later ones; after stop nothing runs", async () => {
    const errors: unknown[] = [];
    const runs: string[][] = [];
    const wakeups = new WatcherWakeups({
      check: async (changed) => {
        runs.push(changed.map((c) => c.identifier));
        if (runs.length === 1) throw new Error("DynamoDB unavailable");
      },
      onError: (e) => errors.push(e),
    });
    wakeups.start();
    wakeups.wake([named("one")]);
    await wakeups.idle();
    wakeups.wake([named("two")]);
    await wakeups.idle();
    expect(runs).toEqual([["one"], ["two"]]);
    expect(errors.map((e) => (e as Error).message)).toEqual(["DynamoDB unavailable"]);

    await wakeups.stop();
    wakeups.wake([named("three")]);
    await wakeups.idle();
    expect(runs).toHaveLength(2);
  });
});
