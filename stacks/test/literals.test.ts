import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import {
  CopyCompleted,
  domainEvents,
  PIPELINE_SOURCE,
  RDS_SOURCE,
  RestoreFailed,
  rdsDetailTypes,
  rdsEventIds,
  SNAPSHOT_EVENT_CATEGORY,
} from "@aurora-restore/core";
import { describe, expect, it } from "vitest";
import { repositoryRoot } from "../../packages/functions/test/support/deployment-fixtures";

/** Every string the event contracts own: the stacks must derive them, never retype them. */
const owned = [
  PIPELINE_SOURCE,
  RDS_SOURCE,
  SNAPSHOT_EVENT_CATEGORY,
  ...domainEvents.map((c) => c.detailType),
  ...Object.values(rdsDetailTypes),
  ...Object.values(rdsEventIds),
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    // The stacks' own tests (stacks/test) may spell the values they check.
    if (statSync(path).isDirectory())
      return name === "node_modules" || name === "test" ? [] : sourceFiles(path);
    return /\.(ts|json)$/.test(name) && name !== "tsconfig.json" ? [path] : [];
  });
}

const PLACEHOLDER = ["$", "{}"].join("");

/** String literals (quoted, or the text parts of templates) in a file, with comments removed. */
function literals(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
  return [...code.matchAll(/"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\]|\\.)*)`/g)].map(
    (m) => m[1] ?? m[2] ?? (m[3] ?? "").replace(/\$\{[^}]*\}/g, PLACEHOLDER),
  );
}

describe("stacks/ and sst.config.ts", () => {
  const files = [...sourceFiles(join(repositoryRoot, "stacks")), join(repositoryRoot, "sst.config.ts")];

  it("are scanned (the check would see a literal)", () => {
    expect(files.length).toBeGreaterThan(10);
    // Built from the contracts so this test file does not type the names it looks for.
    const q = '"';
    const sample = `const x = ${q}${RestoreFailed.detailType}${q}; // ${q}${CopyCompleted.detailType}${q}\nconst y = \`${"$"}{RestoreFailed.detailType}${RDS_SOURCE}\`;`;
    expect(literals(sample)).toEqual([RestoreFailed.detailType, `${PLACEHOLDER}${RDS_SOURCE}`]);
  });

  it.each(owned.map((s) => [s]))("never type %s: it comes from the contracts", (value) => {
    const offenders = files.filter((file) =>
      literals(readFileSync(file, "utf8")).some((l) => l.includes(value)),
    );
    expect(offenders.map((f) => relative(repositoryRoot, f))).toEqual([]);
  });
});
