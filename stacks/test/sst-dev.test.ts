import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { functionSettings } from "@aurora-restore/functions/shared/deploy/function-settings";
import { stages } from "@aurora-restore/functions/stages";
import { describe, expect, it } from "vitest";
import { repositoryRoot } from "../../packages/functions/test/support/deployment-fixtures";
import { appSettings } from "../app-settings";

/**
 * Issue 10, item 13: `sst dev` as the README describes it. The functions that reach the database keep
 * running in AWS (SST's `dev: false`: they need the VPC and Lambda's CA bundle); production stages are
 * protected, which SST 4 enforces for `sst dev` and `sst remove` ("Cannot run `sst dev` on a protected
 * stage" in the CLI); the README names the kind of stage to use.
 */

const root = repositoryRoot;

describe("sst dev", () => {
  it("keeps configure and verify running in AWS; the others run live on the developer's machine", () => {
    for (const service of stages) {
      expect(functionSettings(service).dev, service.name).toBe(service.reachesDatabase ? false : undefined);
    }
    const stacks = readFileSync(join(root, "stacks", "functions.ts"), "utf8");
    expect(stacks).toMatch(/settings\.dev === false \? \{ dev: false as const \}/);
  });

  it("protects production stages and leaves the others open to sst dev", () => {
    const dir = mkdtempSync(join(tmpdir(), "deploy-config-"));
    const config = join(dir, "aurora-restore.json");
    const stage = (production: boolean) => ({
      kind: "target",
      accountId: "222222222222",
      region: "eu-west-1",
      production,
      plans: ["plan.json"],
    });
    writeFileSync(config, JSON.stringify({ stages: { production: stage(true), "dev-ana": stage(false) } }));
    const env = { AURORA_RESTORE_DEPLOY_CONFIG: config };
    expect(appSettings("production", env, dir)).toMatchObject({ protect: true, removal: "retain" });
    expect(appSettings("dev-ana", env, dir)).toMatchObject({ protect: false, removal: "remove" });
  });

  it("the README says which stage to use and what keeps running in AWS", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const deploy = readme.slice(readme.indexOf("## Deploy to AWS"));
    expect(deploy).toMatch(/npx sst dev --stage dev-<you>/);
    expect(deploy).toMatch(/"production": false/);
    expect(deploy).toMatch(/configure and verify[^.]*keep running in AWS \(`dev: false`\)/);
    expect(deploy).not.toMatch(/sst dev --stage production/);
  });
});
