import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { repositoryRoot } from "../../packages/functions/test/support/deployment-fixtures";

/**
 * The stacks sit on top: they import the packages, never the other way round. What both need (the wiring
 * plan, names, policies) lives in a package, imported by its package name.
 */
const stacksDir = resolve(repositoryRoot, "stacks");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "node_modules" ? [] : sourceFiles(path);
    return /\.(ts|tsx|js|mjs)$/.test(name) ? [path] : [];
  });
}

/** Every module specifier in a file: static and dynamic imports, re-exports. */
function specifiers(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g)].map(
    (m) => m[1] ?? "",
  );
}

function importsOfStacks(file: string): string[] {
  return specifiers(readFileSync(file, "utf8")).filter((specifier) => {
    if (!specifier.startsWith(".")) return false;
    const target = resolve(file, "..", specifier);
    return target === stacksDir || target.startsWith(`${stacksDir}/`);
  });
}

describe("imports", () => {
  const files = ["packages", "bench", "scripts", "test"].flatMap((dir) =>
    sourceFiles(resolve(repositoryRoot, dir)),
  );

  it("no package, test, bench or script imports from stacks/", () => {
    const offending = files.flatMap((file) =>
      importsOfStacks(file).map((specifier) => `${relative(repositoryRoot, file)}: ${specifier}`),
    );
    expect(offending).toEqual([]);
  });

  it("the check sees a relative import that reaches stacks/", () => {
    const file = resolve(repositoryRoot, "packages/local/src/runtime/x.ts");
    const text = 'import { subscriptionPlan } from "../../../../stacks/subscription-plan";';
    const target = resolve(file, "..", specifiers(text)[0] ?? "");
    expect(target.startsWith(`${stacksDir}/`)).toBe(true);
  });
});

describe("package exports", () => {
  const packagesDir = resolve(repositoryRoot, "packages");
  const manifests = readdirSync(packagesDir).map((name) => join(packagesDir, name, "package.json"));

  it("every exported path names a file that exists (a `*` pattern, its folder)", () => {
    const missing = manifests.flatMap((manifest) => {
      const { exports } = JSON.parse(readFileSync(manifest, "utf8")) as { exports: Record<string, string> };
      return Object.values(exports)
        .map((target) =>
          resolve(manifest, "..", target.includes("*") ? target.slice(0, target.indexOf("*")) : target),
        )
        .filter((path) => !existsSync(path))
        .map((path) => relative(repositoryRoot, path));
    });
    expect(manifests.length).toBeGreaterThan(4);
    expect(missing).toEqual([]);
  });
});
