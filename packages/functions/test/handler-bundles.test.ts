import { declaredPorts, type OptionalStagePort } from "@aurora-restore/core/wiring/stage-declaration";
import { build, type Metafile } from "esbuild";
import { describe, expect, test } from "vitest";
import {
  bytesByPackage,
  duplicatePackages,
  entryOutput,
  outputsOf,
  sstBundleOptions,
} from "../../../bench/sst-bundle";
import { handlerModuleFile } from "../../local/src/runtime/stage-wiring";
import { stages } from "../src/stages";

/**
 * What each stage's Lambda bundle holds, as SST builds it (bench/sst-bundle.ts; one esbuild run for the ten
 * handlers, nothing written or timed): the SDK client (or driver) of a port exactly when its stage declares
 * the port, and none of zod's locales but the English one it uses. "Holds" is everything the entry can ever
 * load, its chunks included; what its import loads is checked apart. The sizes and import times themselves
 * are the bench's (`npx tsx bench/run.ts bundles`, bench/README.md section 5).
 */

/**
 * The SDK's credential providers other than the environment's, and the clients they use: Lambda's
 * credentials are in the environment, the first place the default chain looks, and the SDK imports the
 * others dynamically, so with code splitting they are chunks a cold start never loads.
 */
const lazyCredentialPackages = [
  "@aws-sdk/credential-provider-ini",
  "@aws-sdk/credential-provider-sso",
  "@aws-sdk/credential-provider-process",
  "@aws-sdk/credential-provider-web-identity",
  "@aws-sdk/credential-provider-http",
  "@smithy/credential-provider-imds",
  "@aws-sdk/nested-clients",
];

/** The package that is in a bundle because of each optional port. */
const packageOfPort: Record<OptionalStagePort, string> = {
  publisher: "@aws-sdk/client-eventbridge",
  rds: "@aws-sdk/client-rds",
  kms: "@aws-sdk/client-kms",
  secrets: "@aws-sdk/client-secrets-manager",
  notifications: "@aws-sdk/client-sns",
  database: "pg",
};

interface StageBundle {
  outputs: Metafile["outputs"];
  /** The entry and every chunk it may load. */
  all: string[];
  /** The entry and the chunks its import loads. */
  loaded: string[];
}

let built: Promise<Map<string, StageBundle>> | undefined;
/** The ten bundles, built once for the tests below. */
const bundles = () => {
  built ??= buildBundles();
  return built;
};

async function buildBundles(): Promise<Map<string, StageBundle>> {
  const result = await build({
    ...sstBundleOptions,
    // Minifying changes sizes, not what is in a bundle: left out, the build takes a fraction of the time.
    minify: false,
    entryPoints: Object.fromEntries(stages.map((stage) => [stage.name, handlerModuleFile(stage)])),
    outdir: "/bundles",
    write: false,
  });
  const outputs = result.metafile.outputs;
  const byStage = new Map<string, StageBundle>();
  for (const stage of stages) {
    const file = entryOutput(outputs, handlerModuleFile(stage));
    byStage.set(stage.name, {
      outputs,
      all: outputsOf(outputs, file, true),
      loaded: outputsOf(outputs, file, false),
    });
  }
  return byStage;
}

describe("the handlers' Lambda bundles", () => {
  test("each holds the SDK clients of the ports its stage declares and no other; no zod locale but English", async () => {
    const byStage = await bundles();
    for (const stage of stages) {
      const output = byStage.get(stage.name);
      if (!output) throw new Error(`no bundle for ${stage.name}`);
      const packages = bytesByPackage(output.outputs, output.all);
      const declared = new Set(declaredPorts(stage));
      for (const [port, pkg] of Object.entries(packageOfPort) as [OptionalStagePort, string][]) {
        expect(packages.has(pkg), `${stage.name}'s bundle and ${pkg} (port ${port})`).toBe(
          declared.has(port),
        );
      }
      const inputs = output.all.flatMap((file) => Object.keys(output.outputs[file]?.inputs ?? {}));
      const locales = inputs.filter(
        (path) => /zod\/v4\/locales\//.test(path) && !/\/(en|index)\.js$/.test(path),
      );
      expect(locales, `${stage.name}'s bundle`).toEqual([]);
      // The core package's barrel re-exports every stage: a handler imports only what it uses.
      expect(inputs, `${stage.name}'s bundle`).not.toContain("packages/core/src/index.ts");
    }
  });

  test("no package is in a bundle twice (one DynamoDB client: the pinned version, overridden for all)", async () => {
    for (const [stage, output] of await bundles()) {
      expect(Object.fromEntries(duplicatePackages(output.outputs, output.all)), `${stage}'s bundle`).toEqual(
        {},
      );
    }
  });

  test("a cold start loads no credential provider but the environment's: the others are lazy chunks", async () => {
    for (const [stage, output] of await bundles()) {
      const all = bytesByPackage(output.outputs, output.all);
      const loaded = bytesByPackage(output.outputs, output.loaded);
      expect(all.has("@aws-sdk/credential-provider-env"), `${stage}'s bundle`).toBe(true);
      expect(loaded.has("@aws-sdk/credential-provider-env"), `${stage}'s import`).toBe(true);
      for (const pkg of lazyCredentialPackages) {
        expect(all.has(pkg), `${stage}'s bundle and ${pkg}`).toBe(true);
        expect(loaded.has(pkg), `${stage}'s import and ${pkg}`).toBe(false);
      }
    }
  });
});
