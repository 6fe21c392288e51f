import { expect } from "vitest";
import { type ReliabilityWorld, sideEffectTotals } from "./world";

/**
 * One undisturbed refresh of a plan of its own (on automated snapshots, so the suites' manual snapshots
 * leave it alone): what each refresh of a new target does, call for call, at the ports.
 */
export async function baselineRefresh(world: ReliabilityWorld): Promise<Record<string, number>> {
  await world.plan("baseline", "base", 1, ["automated"]);
  const before = world.runtime.calls.calls.length;
  await world.automatedSnapshot();
  const [baseline] = await world.ended("baseline", 1, 60_000);
  expect(baseline?.status, baseline?.error?.message).toBe("succeeded");
  await world.runtime.idle();
  const perRefresh = sideEffectTotals(world.runtime.calls.calls.slice(before));
  expect(perRefresh["rds.restoreClusterFromSnapshot"]).toBe(1);
  return perRefresh;
}
