import { declaredPorts, type OptionalStagePort } from "@aurora-restore/core/wiring/stage-declaration";
import { build, type Metafile } from "esbuild";
import { describe, expect, test } from "vitest";
import { bytesByPackage, sstBundleOptions } from "../../../bench/sst-bundle";
import { handlerModuleFile } from "../../local/src/runtime/stage-wiring";
import { stages } from "../src/stages";

/**
 * What each stage's Lambda bundle holds, as SST builds it (bench/sst-bundle.ts; one esbuild run for the ten
 * handlers, nothing written or timed): the SDK client (or driver) of a port exactly when its stage declares
 * the port, and none of zod's locales but the English one it uses. The sizes and import times themselves are
 * the bench's (`npx tsx bench/run.ts bundles`, bench/README.md section 5).
 */

/** The package that is in a bundle because of each optional port. */
const packageOfPort: Record<OptionalStagePort, string> = {
  publisher: "@aws-sdk/client-eventbridge",
  rds: "@aws-sdk/client-rds",
  kms: "@aws-sdk/client-kms",
  secrets: "@aws-sdk/client-secrets-manager",
  notifications: "@aws-sdk/client-sns",
  database: "pg",
};

async function bundles(): Promise<Map<string, Metafile["outputs"][string]>> {
  const built = await build({
    ...sstBundleOptions,
    // Minifying changes sizes, not what is in a bundle: left out, the build takes a fraction of the time.
    minify: false,
    entryPoints: Object.fromEntries(stages.map((stage) => [stage.name, handlerModuleFile(stage)])),
    outdir: "/bundles",
    write: false,
  });
  const byStage = new Map<string, Metafile["outputs"][string]>();
  for (const [file, output] of Object.entries(built.metafile.outputs)) {
    const stage = /([\w-]+)\.js$/.exec(file)?.[1];
    if (stage) byStage.set(stage, output);
  }
  return byStage;
}

describe("the handlers' Lambda bundles", () => {
  test("each holds the SDK clients of the ports its stage declares and no other; no zod locale but English", async () => {
    const built = await bundles();
    expect([...built.keys()].sort()).toEqual(stages.map((s) => s.name).sort());
    for (const stage of stages) {
      const output = built.get(stage.name);
      if (!output) throw new Error(`no bundle for ${stage.name}`);
      const packages = bytesByPackage(output);
      const declared = new Set(declaredPorts(stage));
      for (const [port, pkg] of Object.entries(packageOfPort) as [OptionalStagePort, string][]) {
        expect(packages.has(pkg), `${stage.name}'s bundle and ${pkg} (port ${port})`).toBe(
          declared.has(port),
        );
      }
      const locales = Object.keys(output.inputs).filter(
        (path) => /zod\/v4\/locales\//.test(path) && !/\/(en|index)\.js$/.test(path),
      );
      expect(locales, `${stage.name}'s bundle`).toEqual([]);
      // The core package's barrel re-exports every stage: a handler imports only what it uses.
      expect(Object.keys(output.inputs), `${stage.name}'s bundle`).not.toContain(
        "packages/core/src/index.ts",
      );
    }
  });
});
