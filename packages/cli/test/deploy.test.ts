import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readDeployConfig, resolveDeployment } from "@aurora-restore/functions/shared/deploy/config";
import { functionStatements } from "@aurora-restore/functions/shared/deploy/iam";
import { permissionContextFor } from "@aurora-restore/functions/shared/deploy/names";
import {
  deploymentOf,
  encryptionOf,
  identityPolicy,
} from "@aurora-restore/functions/shared/deploy/policy-documents";
import { stages } from "@aurora-restore/functions/stages";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const example = join(root, "deploy/aurora-restore.example.json");
const examplePlanPath = join(root, "deploy/plans/orders-staging.example.json");

function buffers() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (c: string) => out.push(c) }, stderr: { write: (c: string) => err.push(c) } },
    stdout: () => out.join(""),
    stderr: () => err.join(""),
  };
}

async function cli(...args: string[]) {
  const b = buffers();
  const code = await runCli(args, b.io);
  return { code, stdout: b.stdout(), stderr: b.stderr() };
}

let dir: string;
let examplePlan: Record<string, unknown> & {
  source: Record<string, unknown>;
  targets: Record<string, unknown>[];
};
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "aurora-deploy-"));
  examplePlan = JSON.parse(await readFile(examplePlanPath, "utf8"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A configuration with one target stage over `plan`, in a fresh folder. */
async function configWith(plan: unknown, stage: Record<string, unknown> = {}) {
  const folder = await mkdtemp(join(dir, "config-"));
  await writeFile(join(folder, "plan.json"), JSON.stringify(plan));
  const path = join(folder, "config.json");
  const production = {
    kind: "target",
    accountId: "222222222222",
    region: "eu-west-1",
    plans: ["plan.json"],
    ...stage,
  };
  await writeFile(path, JSON.stringify({ stages: { production } }));
  return path;
}

describe("aurora-restore deploy validate", () => {
  it("accepts the example configuration, naming each stage", async () => {
    const { code, stdout } = await cli("deploy", "validate", "--config", example);
    expect(code).toBe(0);
    expect(stdout).toContain("stage production (target, 222222222222/eu-west-1) can be deployed");
    expect(stdout).toContain("stage source-production (source, 111111111111/eu-west-1) can be deployed");
  });

  it("names the field of the configuration to fix", async () => {
    const path = await configWith(examplePlan, { accountId: "2222" });
    const { code, stderr } = await cli("deploy", "validate", "--config", path);
    expect(code).toBe(2);
    expect(stderr).toMatch(/- stages\.production\.accountId: an AWS account id is 12 digits/);
  });

  it("names the plan file and the plan's field, as plan validate does", async () => {
    const plan = structuredClone(examplePlan);
    plan.targets[0]!.kmsKeyId = "alias/staging";
    const path = await configWith(plan);
    const { code, stderr } = await cli("deploy", "validate", "--config", path);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /- stages\.production\.plans\[0\] \(plan\.json\) targets\[0\]\.kmsKeyId: a full KMS key ARN/,
    );
  });

  it("refuses a cross-account source without its role, and a target outside the stage", async () => {
    const plan = structuredClone(examplePlan);
    delete plan.source.roleArn;
    const path = await configWith(plan, { region: "us-east-1" });
    const { code, stderr } = await cli("deploy", "validate", "--config", path);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /stages\.production\.plans\[0\] \(orders-staging\) source\.roleArn: the source is in account 111111111111/,
    );
    expect(stderr).toMatch(
      /stages\.production\.plans\[0\] \(orders-staging\) targets\[0\]: .*deploy a target stage there/,
    );
  });

  it("reports every problem as JSON with --json", async () => {
    const path = await configWith(examplePlan, { accountId: "2222" });
    const { code, stdout } = await cli("deploy", "validate", "--config", path, "--json");
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({
      valid: false,
      problems: [{ path: "stages.production.accountId", message: expect.stringContaining("12 digits") }],
    });
  });

  it("says when the file is missing", async () => {
    const { code, stderr } = await cli("deploy", "validate", "--config", join(dir, "nope.json"));
    expect(code).toBe(2);
    expect(stderr).toContain("nope.json does not exist");
  });
});

describe("aurora-restore deploy policies", () => {
  it("prints every role of every stage as IAM JSON, exactly what the stacks deploy", async () => {
    const { code, stdout } = await cli("deploy", "policies", "--config", example, "--json");
    expect(code).toBe(0);
    const { roles, resourcePolicies } = JSON.parse(stdout);
    const production = resolveDeployment(readDeployConfig(example), "production", example);
    if (production.kind !== "target") throw new Error("production is a target stage");
    const at = deploymentOf(production);
    const context = permissionContextFor(at, production.planList);
    for (const service of stages) {
      const role = roles.find(
        (r: { stage: string; name: string }) => r.stage === "production" && r.name === service.name,
      );
      expect(role, service.name).toMatchObject({
        account: "222222222222",
        region: "eu-west-1",
        roleArn: `arn:aws:iam::222222222222:role/aurora-restore-production-${service.name}`,
        trust: { Statement: [{ Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] },
      });
      expect(role.policy).toEqual(
        identityPolicy(functionStatements(at, context, service, encryptionOf(production))),
      );
    }
    const access = roles.find((r: { name: string }) => r.name === "source-access");
    expect(access).toMatchObject({ stage: "source-production", account: "111111111111" });
    expect(access.trust.Statement[0].Principal.AWS).toEqual([
      "arn:aws:iam::222222222222:role/aurora-restore-production-trigger",
      "arn:aws:iam::222222222222:role/aurora-restore-production-prepare",
      "arn:aws:iam::222222222222:role/aurora-restore-production-cleanup",
      "arn:aws:iam::222222222222:role/aurora-restore-production-watcher",
    ]);
    expect(roles.find((r: { name: string }) => r.name === "forwarder")?.trust.Statement[0].Principal).toEqual(
      {
        Service: "events.amazonaws.com",
      },
    );
    for (const role of roles) {
      expect(role.policy.Version).toBe("2012-10-17");
      for (const statement of role.policy.Statement) {
        expect(statement).toMatchObject({
          Effect: "Allow",
          Action: expect.any(Array),
          Resource: expect.any(Array),
        });
      }
    }
    expect(resourcePolicies.map((p: { name: string; kind: string }) => `${p.name}:${p.kind}`)).toEqual([
      "stage-key:deployed",
      "default-bus:deployed",
      "source-shareable-key:required",
    ]);
  });

  it("prints the documents for people, one stage at a time with --stage", async () => {
    const { code, stdout } = await cli(
      "deploy",
      "policies",
      "--config",
      example,
      "--stage",
      "source-production",
    );
    expect(code).toBe(0);
    expect(stdout).toContain(
      "== source-production / source-access: arn:aws:iam::111111111111:role/aurora-restore-source-production-source-access",
    );
    expect(stdout).not.toContain("== production /");
    expect(stdout).toContain('"kms:GrantIsForAWSResource": "true"');
  });

  it("refuses a configuration that cannot deploy", async () => {
    const path = await configWith(examplePlan, { accountId: "2222" });
    const { code, stderr } = await cli("deploy", "policies", "--config", path);
    expect(code).toBe(2);
    expect(stderr).toContain("stages.production.accountId");
  });
});

describe("plan validate applies the deploy's cross-account rule", () => {
  it("refuses a source in another account without source.roleArn", async () => {
    const plan = structuredClone(examplePlan);
    delete plan.source.roleArn;
    const file = join(dir, "no-role.json");
    await writeFile(file, JSON.stringify(plan));
    const { code, stderr } = await cli("plan", "validate", file);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /- source\.roleArn: the source is in account 111111111111 but targets are in 222222222222/,
    );
  });

  it("accepts the example plan, which names its role", async () => {
    const { code } = await cli("plan", "validate", examplePlanPath);
    expect(code).toBe(0);
  });
});
