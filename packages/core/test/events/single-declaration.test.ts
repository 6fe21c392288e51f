import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { AnyDomainEventContract } from "../../src/events/contract";
import { domainEvents } from "../../src/events/domain";
import { PIPELINE_SOURCE } from "../../src/events/names";
import { RDS_SOURCE, rdsDetailTypes } from "../../src/events/rds";
import * as cleanup from "../../src/stages/cleanup/contracts";
import * as configure from "../../src/stages/configure/contracts";
import * as copy from "../../src/stages/copy/contracts";
import * as cutover from "../../src/stages/cutover/contracts";
import * as kit from "../../src/stages/kit/contracts";
import * as prepare from "../../src/stages/prepare/contracts";
import * as restore from "../../src/stages/restore/contracts";
import * as trigger from "../../src/stages/trigger/contracts";
import * as verify from "../../src/stages/verify/contracts";

const root = resolve(import.meta.dirname, "../../../..");
// Generated output (git-ignored) is not source: bench results and test output name events as data.
const skipped = new Set([
  "node_modules",
  ".git",
  ".sst",
  ".xdg",
  ".aurora-restore",
  "docs",
  "coverage",
  "results",
  "test-output",
]);
const scanned = /\.(ts|tsx|js|mjs|cjs|json|ya?ml|sh)$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (skipped.has(name) || name === "package-lock.json") return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return scanned.test(name) ? [path] : [];
  });
}

/** Quoted occurrences ("x", 'x' or `x`) of a literal in a file's text. */
function quotedOccurrences(text: string, literal: string): number {
  const escaped = literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return (text.match(new RegExp(`["'\`]${escaped}["'\`]`, "g")) ?? []).length;
}

/** Each domain event is declared beside the stage that owns it (events/domain.ts lists them all). */
const contractFiles: Record<string, Record<string, AnyDomainEventContract>> = {
  "packages/core/src/stages/trigger/contracts.ts": trigger,
  "packages/core/src/stages/prepare/contracts.ts": prepare,
  "packages/core/src/stages/copy/contracts.ts": copy,
  "packages/core/src/stages/restore/contracts.ts": restore,
  "packages/core/src/stages/configure/contracts.ts": configure,
  "packages/core/src/stages/verify/contracts.ts": verify,
  "packages/core/src/stages/cutover/contracts.ts": cutover,
  "packages/core/src/stages/kit/contracts.ts": kit,
  "packages/core/src/stages/cleanup/contracts.ts": cleanup,
};
const eventDeclarations = Object.entries(contractFiles).flatMap(([declaredIn, contracts]) =>
  Object.values(contracts).map((c) => ({ literal: c.detailType, declaredIn })),
);

/** Where each name is declared: the only file allowed to type it, exactly once. */
// The bus name is left out: it is also the product's name, used for unrelated things.
const declarations: { literal: string; declaredIn: string }[] = [
  ...eventDeclarations,
  { literal: PIPELINE_SOURCE, declaredIn: "packages/core/src/events/names.ts" },
  { literal: RDS_SOURCE, declaredIn: "packages/core/src/events/rds.ts" },
  ...Object.values(rdsDetailTypes).map((literal) => ({
    literal,
    declaredIn: "packages/core/src/events/rds.ts",
  })),
];

export function findDuplicates(files: { path: string; text: string }[]) {
  const problems: string[] = [];
  for (const { literal, declaredIn } of declarations) {
    for (const { path, text } of files) {
      const count = quotedOccurrences(text, literal);
      const allowed = path === declaredIn ? 1 : 0;
      if (count > allowed) {
        problems.push(`${path}: "${literal}" typed ${count}x; import it from ${declaredIn} instead`);
      }
    }
  }
  return problems;
}

describe("one declaration per event name", () => {
  const files = sourceFiles(root).map((path) => ({
    path: relative(root, path),
    text: readFileSync(path, "utf8"),
  }));

  it("scans the project's sources", () => {
    for (const path of Object.keys(contractFiles)) expect(files.some((f) => f.path === path)).toBe(true);
    expect(files.length).toBeGreaterThan(20);
  });

  it("finds every domain event in one contracts file, typed there once", () => {
    expect(eventDeclarations.map((d) => d.literal).sort()).toEqual(
      domainEvents.map((c) => c.detailType).sort(),
    );
    for (const { literal, declaredIn } of eventDeclarations) {
      const text = files.find((f) => f.path === declaredIn)?.text ?? "";
      expect(quotedOccurrences(text, literal), `${literal} in ${declaredIn}`).toBe(1);
    }
  });

  it("types each detail-type, source and bus name only where it is declared", () => {
    expect(findDuplicates(files)).toEqual([]);
  });

  it("catches a copy (the check can fail)", () => {
    const copy = {
      path: "stacks/bus.ts",
      text: `pattern: { "detail-type": ["${domainEvents[1].detailType}"] }`,
    };
    expect(findDuplicates([copy])).toHaveLength(1);
  });
});
