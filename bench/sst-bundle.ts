import { basename, extname, join, relative, resolve } from "node:path";
import { NODEJS_BUNDLING } from "@aurora-restore/functions/shared/deploy/function-settings";
import type { BuildOptions, Metafile } from "esbuild";
import { packageOf } from "./profile";

/**
 * esbuild's options as SST v4 bundles a Node.js function for deployment (pkg/runtime/node/build.go in
 * sst/sst): bundle, platform node, ESM with SST's createRequire/__dirname banner, target esnext (SST's
 * default unless nodejs.esbuild.target is set; nodejs22.x runs all of it), main fields module then main,
 * keepNames, minified (nodejs.minify defaults to true), no source map, and only sharp and pg-native
 * external: the @aws-sdk packages are bundled. Code splitting as the stacks set it (NODEJS_BUNDLING, the
 * functions' `nodejs` prop): then SST writes the entry and its chunks into one folder, `.mjs` each. The bench
 * measures these bundles; a test guards what is in them.
 */
export const sstBundleOptions = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "esnext",
  mainFields: ["module", "main"],
  keepNames: true,
  minify: true,
  sourcemap: false,
  metafile: true,
  splitting: NODEJS_BUNDLING.splitting,
  external: ["sharp", "pg-native"],
  banner: {
    js: [
      `import { createRequire as topLevelCreateRequire } from 'module';`,
      `const require = topLevelCreateRequire(import.meta.url);`,
      `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
      `const __filename = topLevelFileUrlToPath(import.meta.url)`,
      `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
      "",
    ].join("\n"),
  },
  logLevel: "silent",
} as const satisfies BuildOptions;

/** Where SST writes a handler's bundle: `<dir>/<entry's name>.mjs`, next to its chunks when split. */
export function sstOutput(
  entry: string,
  dir: string,
): Pick<BuildOptions, "outdir" | "outfile" | "outExtension"> {
  if (sstBundleOptions.splitting) return { outdir: dir, outExtension: { ".js": ".mjs" } };
  return { outfile: join(dir, `${basename(entry, extname(entry))}.mjs`) };
}

type Outputs = Metafile["outputs"];

/** The output file of an entry point (chunks a dynamic import starts have an `entryPoint` too). */
export function entryOutput(outputs: Outputs, entry: string): string {
  const wanted = relative(process.cwd(), resolve(entry));
  const file = Object.keys(outputs).find((out) => outputs[out]?.entryPoint === wanted);
  if (!file) throw new Error(`no output for ${wanted}`);
  return file;
}

/**
 * The output files one entry brings in: with `dynamic` false those its import loads (the entry and the
 * chunks it imports statically, what a cold start parses and runs), with `dynamic` true also every chunk it
 * may import later (all the code the function can ever run).
 */
export function outputsOf(outputs: Outputs, entry: string, dynamic: boolean): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !outputs[file]) return;
    seen.add(file);
    for (const imported of outputs[file].imports) {
      if (imported.kind === "import-statement" || (dynamic && imported.kind === "dynamic-import")) {
        visit(imported.path);
      }
    }
  };
  visit(entry);
  return [...seen];
}

/** Bytes by the package they come from (node_modules package, or @aurora-restore/<workspace>) in some outputs. */
export function bytesByPackage(outputs: Outputs, files: readonly string[]): Map<string, number> {
  const byPackage = new Map<string, number>();
  for (const file of files) {
    for (const [path, input] of Object.entries(outputs[file]?.inputs ?? {})) {
      if (input.bytesInOutput === 0) continue;
      const name = packageOf(path, "");
      byPackage.set(name, (byPackage.get(name) ?? 0) + input.bytesInOutput);
    }
  }
  return byPackage;
}

/**
 * Packages bundled from more than one folder (two versions, or one version installed twice): each copy is
 * its own code in the bundle, e.g. a workspace's pinned SDK client next to the hoisted one.
 */
export function duplicatePackages(outputs: Outputs, files: readonly string[]): Map<string, string[]> {
  const folders = new Map<string, Set<string>>();
  for (const file of files) {
    for (const path of Object.keys(outputs[file]?.inputs ?? {})) {
      const at = path.lastIndexOf("node_modules/");
      if (at < 0) continue;
      const rest = path.slice(at + "node_modules/".length).split("/");
      const name = rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? "");
      const folder = path.slice(0, at + "node_modules/".length + name.length);
      if (!folders.has(name)) folders.set(name, new Set());
      folders.get(name)?.add(folder);
    }
  }
  return new Map([...folders].filter(([, f]) => f.size > 1).map(([name, f]) => [name, [...f].sort()]));
}
