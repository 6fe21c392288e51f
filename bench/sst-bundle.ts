import type { BuildOptions, Metafile } from "esbuild";
import { packageOf } from "./profile";

/**
 * esbuild's options as SST v4 bundles a Node.js function for deployment (pkg/runtime/node/build.go in
 * sst/sst): bundle, platform node, ESM with SST's createRequire/__dirname banner, target esnext (SST's
 * default unless nodejs.esbuild.target is set; nodejs22.x runs all of it), main fields module then main,
 * keepNames, minified (nodejs.minify defaults to true), no source map, and only sharp and pg-native
 * external: the @aws-sdk packages are bundled. The bench measures these bundles; a test guards what is in them.
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

/** Bytes of a bundle by the package they come from (node_modules package, or @aurora-restore/<workspace>). */
export function bytesByPackage(output: Metafile["outputs"][string]): Map<string, number> {
  const byPackage = new Map<string, number>();
  for (const [path, input] of Object.entries(output.inputs)) {
    if (input.bytesInOutput === 0) continue;
    const name = packageOf(path, "");
    byPackage.set(name, (byPackage.get(name) ?? 0) + input.bytesInOutput);
  }
  return byPackage;
}
