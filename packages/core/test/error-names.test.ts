import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const src = resolve(import.meta.dirname, "../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f));
}

/** Error classes whose `name` is not their class name ending in Error (the rule in stages/kit/errors.ts). */
export function misnamedErrors(files: { path: string; text: string }[]): string[] {
  const problems: string[] = [];
  for (const { path, text } of files) {
    for (const match of text.matchAll(/class (\w+) extends \w*Error \{([\s\S]*?)\n\}/g)) {
      const [, className, body] = match as unknown as [string, string, string];
      const name = /override (?:readonly )?name = "(\w+)"/.exec(body)?.[1];
      if (!className.endsWith("Error")) problems.push(`${path}: ${className} does not end in Error`);
      if (name !== className) problems.push(`${path}: ${className} is named ${String(name)}`);
    }
  }
  return problems;
}

describe("error names (core)", () => {
  const files = sourceFiles(src).map((path) => ({
    path: relative(src, path),
    text: readFileSync(path, "utf8"),
  }));

  it("finds the error classes", () => {
    expect(files.filter((f) => /class \w+ extends Error/.test(f.text)).length).toBeGreaterThan(10);
  });

  it("names each error class after itself; its wire code is a separate field", () => {
    expect(misnamedErrors(files)).toEqual([]);
  });

  it("catches a name used as a code (the check can fail)", () => {
    const text = 'export class TargetsBusyError extends Error {\n  override name = "TargetBusy";\n}\n';
    expect(misnamedErrors([{ path: "x.ts", text }])).toHaveLength(1);
  });
});
