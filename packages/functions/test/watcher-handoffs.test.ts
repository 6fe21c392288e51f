import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as core from "@aurora-restore/core";
import { type AnyDomainEventContract, domainEvents, type PolicyStatement } from "@aurora-restore/core";
import {
  ClusterConfigured,
  ManualRestoreRequested,
  RestoreRequested,
  RestoreVerified,
} from "@aurora-restore/core/events/domain";
import { watchableEvents } from "@aurora-restore/core/stages/kit";
import { describe, expect, it } from "vitest";
import { stages } from "../src/stages";
import { repositoryRoot, sampleContext } from "./support/deployment-fixtures";

/**
 * The watcher publishes again the handoff a stage recorded and did not get to publish (the outbox,
 * core/stages/kit/republish-handoffs.ts). Whatever a stage can record, the watcher must be allowed to publish:
 * the stages' sources are read for every contract they hand an operation on with (handOff / handoffOf).
 */
function recordedHandoffs(): AnyDomainEventContract[] {
  const dir = join(repositoryRoot, "packages/core/src/stages");
  const names = new Set<string>();
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  for (const file of files) {
    const text = readFileSync(join(dir, file), "utf8");
    for (const match of text.matchAll(/\bhandOff\(\s*\w+,\s*\w+,\s*([\w.]+)/g)) names.add(match[1]!);
    for (const match of text.matchAll(/\bhandoffOf\(\s*\w+,\s*[^,]+,\s*([\w.]+)/g)) names.add(match[1]!);
  }
  // The generic helpers (kit/handoff.ts, kit/fail.ts) pass `contract` through; the watcher hands on with the contract of a
  // watch (`x.contract`: core's watchableEvents, which the watcher produces anyway). Both are checked below.
  for (const name of names) if (name === "contract" || name.includes(".")) names.delete(name);
  return [...names].map((name) => {
    const contract = (core as Record<string, unknown>)[name] as AnyDomainEventContract | undefined;
    const known: readonly AnyDomainEventContract[] = domainEvents;
    if (!contract || !known.includes(contract)) throw new Error(`${name} is not a domain event contract`);
    return contract;
  });
}

function publishableBy(statements: PolicyStatement[]): string[] {
  return statements
    .filter((s) => s.actions.includes("events:PutEvents"))
    .flatMap((s) => s.conditions?.["ForAllValues:StringEquals"]?.["events:detail-type"] ?? []);
}

describe("the watcher's permission to publish recorded handoffs again (issue 10, item 4)", () => {
  const watcher = stages.find((s) => s.name === "watcher")!;

  it("finds the handoffs the stages record", () => {
    expect(recordedHandoffs().map((c) => c.detailType)).toEqual(
      expect.arrayContaining([
        RestoreRequested.detailType,
        ClusterConfigured.detailType,
        RestoreVerified.detailType,
      ]),
    );
  });

  it("may publish every handoff a stage can record, and every event a watch publishes", () => {
    const allowed = publishableBy(watcher.permissions(sampleContext()));
    for (const contract of [...recordedHandoffs(), ...watchableEvents]) {
      expect(allowed, `the watcher may publish ${contract.detailType}`).toContain(contract.detailType);
    }
  });

  it("may not publish what only the CLI asks for", () => {
    expect(publishableBy(watcher.permissions(sampleContext()))).not.toContain(
      ManualRestoreRequested.detailType,
    );
  });
});
