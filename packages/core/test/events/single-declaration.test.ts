import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { domainEvents } from "../../src/events/domain";
import { PIPELINE_SOURCE } from "../../src/events/names";
import { RDS_SOURCE, rdsDetailTypes } from "../../src/events/rds";

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

/** Where each name is declared: the only file allowed to type it, exactly once. */
// The bus name is left out: it is also the product's name, used for unrelated things.
const declarations: { literal: string; declaredIn: string }[] = [
  ...domainEvents.map((c) => ({ literal: c.detailType, declaredIn: "packages/core/src/events/domain.ts" })),
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
    expect(files.some((f) => f.path === "packages/core/src/events/domain.ts")).toBe(true);
    expect(files.length).toBeGreaterThan(20);
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
