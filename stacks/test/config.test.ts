import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environmentNames, tableDefinitions } from "@aurora-restore/core";
import { METRICS_NAMESPACE as EMITTED_NAMESPACE } from "@aurora-restore/functions/runtime/powertools";
import {
  deployConfigPath,
  parseDeployConfig,
  readDeployConfig,
  resolveDeployment,
} from "@aurora-restore/functions/shared/deploy/config";
import {
  EnvironmentTooLargeError,
  functionEnvironment,
  LAMBDA_CA_BUNDLE,
} from "@aurora-restore/functions/shared/deploy/function-environment";
import { policyViolations } from "@aurora-restore/functions/shared/deploy/iam";
import {
  deploymentNames,
  MAX_STAGE_LENGTH,
  permissionContextFor,
} from "@aurora-restore/functions/shared/deploy/names";
import { DatabaseNetworkError, databaseNetworkFor } from "@aurora-restore/functions/shared/deploy/network";
import {
  forwardingTargetBusArn,
  sourceAccessPolicy,
  sourceAccessPrincipals,
} from "@aurora-restore/functions/shared/deploy/source-access";
import { dynamoSchemaFrom, needsCustomerKey } from "@aurora-restore/functions/shared/deploy/table-schema";
import { stages } from "@aurora-restore/functions/stages";
import { describe, expect, it } from "vitest";
import {
  deployment,
  exampleConfigPath,
  examplePlan,
  repositoryRoot,
  sameAccountPlan,
} from "../../packages/functions/test/support/deployment-fixtures";
import { appSettings } from "../app-settings";
import { alarmSpecs, dashboardBody, METRICS_NAMESPACE } from "../observability";

const config = readDeployConfig(exampleConfigPath);

/** A config file in a temporary folder, next to a copy of the example plan (plans resolve beside it). */
function writeConfig(
  stages: unknown,
  plan: unknown = JSON.parse(
    readFileSync(join(repositoryRoot, "deploy/plans/orders-staging.example.json"), "utf8"),
  ),
) {
  const dir = mkdtempSync(join(tmpdir(), "aurora-restore-deploy-"));
  writeFileSync(join(dir, "plan.json"), JSON.stringify(plan));
  const path = join(dir, "config.json");
  writeFileSync(path, JSON.stringify({ stages }));
  return path;
}

const targetDeployment = (overrides: Record<string, unknown> = {}) => ({
  kind: "target",
  accountId: "222222222222",
  region: "eu-west-1",
  plans: ["plan.json"],
  ...overrides,
});

describe("the deploy configuration", () => {
  it("reads the example and resolves both of its stages with their validated plans", () => {
    const target = resolveDeployment(config, "production", exampleConfigPath);
    expect(target.kind).toBe("target");
    expect(target.planList.map((p) => p.id)).toEqual(["orders-staging"]);
    const source = resolveDeployment(config, "source-production", exampleConfigPath);
    expect(source.kind).toBe("source");
    expect(target.kind === "target" && target.delivery).toEqual({
      maximumRetryAttempts: 185,
      maximumEventAgeSeconds: 86_400,
    });
  });

  it("takes the file from AURORA_RESTORE_DEPLOY_CONFIG, else deploy/aurora-restore.json", () => {
    expect(deployConfigPath({}, "/repo")).toBe("/repo/deploy/aurora-restore.json");
    expect(deployConfigPath({ AURORA_RESTORE_DEPLOY_CONFIG: "ops/x.json" }, "/repo")).toBe(
      "/repo/ops/x.json",
    );
    expect(() => readDeployConfig("/nonexistent/config.json")).toThrow(
      /copy deploy\/aurora-restore.example.json/,
    );
  });

  it("names the field and the fix when the file is invalid", () => {
    expect(() => parseDeployConfig("{", "x.json")).toThrow(/x.json is not valid JSON/);
    expect(() =>
      parseDeployConfig(
        JSON.stringify({ stages: { prod: targetDeployment({ accountId: "12" }) } }),
        "x.json",
      ),
    ).toThrow(/stages.prod.accountId: an AWS account id is 12 digits/);
    expect(() =>
      parseDeployConfig(JSON.stringify({ stages: { Prod_1: targetDeployment() } }), "x.json"),
    ).toThrow(/stage name/);
  });

  it("refuses a stage it does not declare, listing those it does", () => {
    expect(() => resolveDeployment(config, "staging", exampleConfigPath)).toThrow(
      /Stage "staging" is not in .*; it declares: production, source-production/,
    );
  });

  it("refuses targets outside the stage's account and region (the functions must reach the database)", () => {
    const path = writeConfig({ prod: targetDeployment({ region: "us-east-1" }) });
    expect(() => resolveDeployment(readDeployConfig(path), "prod", path)).toThrow(
      /deploy a target stage there/,
    );
  });

  it("refuses a cross-account source without a role to reach it", () => {
    const plan = examplePlan() as { source: Record<string, unknown> };
    delete plan.source.roleArn;
    const path = writeConfig({ prod: targetDeployment() }, plan);
    expect(() => resolveDeployment(readDeployConfig(path), "prod", path)).toThrow(/set source.roleArn/);
  });

  it("refuses a source stage whose plans point at another role than the one it creates", () => {
    const path = writeConfig({
      "source-other": {
        kind: "source",
        accountId: "111111111111",
        region: "eu-west-1",
        plans: ["plan.json"],
        target: { stage: "production", accountId: "222222222222", region: "eu-west-1" },
      },
    });
    expect(() => resolveDeployment(readDeployConfig(path), "source-other", path)).toThrow(
      /source.roleArn must be arn:aws:iam::111111111111:role\/aurora-restore-source-other-source-access/,
    );
  });
});

describe("the functions' environment", () => {
  const context = permissionContextFor(deployment, [examplePlan()]);
  const environmentOf = (name: string) =>
    functionEnvironment({
      stage: "production",
      topicArn: context.topicArn,
      declaration: stages.find((s) => s.name === name)!,
      plans: context.plans,
    });

  it("sets the variables the handlers read", () => {
    const env = environmentOf("trigger");
    expect(env[environmentNames.stateTable]).toBe("aurora-restore-production-state");
    expect(env[environmentNames.busName]).toBe("aurora-restore-production");
    // The plans ship in the package (plans-bundle.test.ts), not in the environment.
    expect(env[environmentNames.plans]).toBeUndefined();
    expect(env[environmentNames.plansFile]).toBe("aurora-restore-plans.json");
    expect(env[environmentNames.deadLetterQueueUrl]).toBe(
      "https://sqs.eu-west-1.amazonaws.com/222222222222/aurora-restore-production-trigger-dlq",
    );
  });

  it("documents every variable in .env.example", () => {
    const documented = readFileSync(join(repositoryRoot, ".env.example"), "utf8");
    for (const name of Object.keys(environmentOf("configure")))
      expect(documented).toMatch(new RegExp(`^#? ?${name}=`, "m"));
  });

  it("trusts the RDS CA only in the functions that reach the database", () => {
    for (const service of stages) {
      expect(environmentOf(service.name).NODE_EXTRA_CA_CERTS).toBe(
        service.reachesDatabase ? LAMBDA_CA_BUNDLE : undefined,
      );
    }
  });

  it("refuses an environment over Lambda's 4 KB once SST's own variables are counted", () => {
    const stage = "s".repeat(1200);
    expect(() =>
      functionEnvironment({
        stage,
        topicArn: context.topicArn,
        declaration: stages[0]!,
        plans: [examplePlan()],
      }),
    ).toThrow(EnvironmentTooLargeError);
  });
});

describe("the database network", () => {
  it("comes from the plans' subnet group and security groups", () => {
    expect(databaseNetworkFor({ planList: [examplePlan(), sameAccountPlan()] })).toEqual({
      kind: "subnet-group",
      dbSubnetGroupName: "staging-databases",
      securityGroupIds: ["sg-0a1b2c3d4e5f60718", "sg-0123456789abcdef0"],
    });
  });

  it("is the stage's own when given, and required when the plans disagree", () => {
    const explicit = { subnetIds: ["subnet-0abc"], securityGroupIds: ["sg-0abc"] };
    expect(databaseNetworkFor({ databaseNetwork: explicit, planList: [] })).toEqual({
      kind: "subnets",
      ...explicit,
    });
    const other = sameAccountPlan();
    other.targets[0]!.network.dbSubnetGroupName = "qa-databases";
    expect(() => databaseNetworkFor({ planList: [examplePlan(), other] })).toThrow(DatabaseNetworkError);
    expect(() => databaseNetworkFor({ planList: [examplePlan(), other] })).toThrow(/"databaseNetwork"/);
  });
});

describe("tables, names, monitoring", () => {
  it("maps core's table definitions to the deployed keys and indexes", () => {
    expect(dynamoSchemaFrom(tableDefinitions.state("s"))).toEqual({
      fields: {
        pk: "string",
        sk: "string",
        gsi1pk: "string",
        gsi1sk: "string",
        gsi2pk: "string",
        gsi2sk: "string",
        gsi3pk: "string",
        gsi3sk: "string",
      },
      primaryIndex: { hashKey: "pk", rangeKey: "sk" },
      globalIndexes: {
        gsi1: { hashKey: "gsi1pk", rangeKey: "gsi1sk", projection: "all" },
        gsi2: { hashKey: "gsi2pk", rangeKey: "gsi2sk", projection: "all" },
        // Sparse: only operations waiting on a watch (operation-entity.ts).
        gsi3: { hashKey: "gsi3pk", rangeKey: "gsi3sk", projection: "all" },
      },
    });
    expect(Object.keys(dynamoSchemaFrom(tableDefinitions.audit("a")).globalIndexes)).toEqual(["gsi1"]);
  });

  it("uses a customer key for the tables when a plan's compliance profile asks", () => {
    expect(needsCustomerKey([examplePlan()])).toBe(true);
    expect(needsCustomerKey([sameAccountPlan()])).toBe(false);
  });

  it("keeps names within AWS limits for the longest stage name", () => {
    const names = deploymentNames("s".repeat(MAX_STAGE_LENGTH));
    for (const service of stages) {
      expect(names.functionRole(service.name).length).toBeLessThanOrEqual(64);
      expect(names.functionName(service.name).length).toBeLessThanOrEqual(64);
      expect(names.deadLetterQueue(service.name).length).toBeLessThanOrEqual(80);
    }
    expect(names.sourceAccessRole.length).toBeLessThanOrEqual(64);
    expect(names.archive.length).toBeLessThanOrEqual(48);
    expect(names.rdsArchive.length).toBeLessThanOrEqual(48);
  });

  it("alarms on failed operations, every dead-letter queue and the scheduled watcher, in the emitted namespace", () => {
    expect(METRICS_NAMESPACE).toBe(EMITTED_NAMESPACE);
    const names = deploymentNames("production");
    const observed = {
      region: "eu-west-1",
      stages,
      functionName: names.functionName,
      deadLetterQueueName: names.deadLetterQueue,
    };
    const specs = alarmSpecs(observed);
    expect(specs.map((s) => s.id)).toContain("OperationsFailedAlarm");
    const queues = specs.flatMap((s) => (s.metric.kind === "metric" ? [s.metric.dimensions.QueueName] : []));
    expect(queues.filter(Boolean).sort()).toEqual(stages.map((s) => names.deadLetterQueue(s.name)).sort());
    expect(specs.find((s) => s.id === "WatcherErrorsAlarm")?.metric).toMatchObject({
      dimensions: { FunctionName: "aurora-restore-production-watcher" },
    });
    expect(new Set(specs.map((s) => s.id)).size).toBe(specs.length);
    const body = JSON.parse(dashboardBody(observed));
    expect(body.widgets).toHaveLength(4);
    expect(JSON.stringify(body)).toContain(`FROM ${METRICS_NAMESPACE}`);
  });
});

describe("the source account's stage", () => {
  const stage = resolveDeployment(config, "source-production", exampleConfigPath);
  if (stage.kind !== "source") throw new Error("example source stage expected");

  it("trusts exactly the target functions whose declarations assume its role", () => {
    expect(sourceAccessPrincipals(stage).sort()).toEqual(
      ["cleanup", "prepare", "trigger", "watcher"].map(
        (s) => `arn:aws:iam::222222222222:role/aurora-restore-production-${s}`,
      ),
    );
  });

  it("grants read, copy, share and cleanup on the source account's snapshots only", () => {
    const policy = sourceAccessPolicy(stage);
    expect(policyViolations(policy, permissionContextFor(deployment, stage.planList))).toEqual([]);
    const resources = policy.flatMap((s) => s.resources);
    for (const resource of resources) expect(resource).toMatch(/^arn:aws:(rds|kms):eu-west-1:111111111111:/);
    expect(policy.flatMap((s) => s.actions)).toEqual(
      expect.arrayContaining([
        "rds:CopyDBClusterSnapshot",
        "rds:ModifyDBClusterSnapshotAttribute",
        "rds:DeleteDBClusterSnapshot",
      ]),
    );
    expect(forwardingTargetBusArn(stage)).toBe("arn:aws:events:eu-west-1:222222222222:event-bus/default");
  });
});

describe("app settings", () => {
  it("pins a configured stage to its account and region and keeps production data", () => {
    const settings = appSettings(
      "production",
      { AURORA_RESTORE_DEPLOY_CONFIG: exampleConfigPath },
      repositoryRoot,
    );
    expect(settings).toMatchObject({
      name: "aurora-restore",
      removal: "retain",
      protect: true,
      providers: { aws: { region: "eu-west-1", allowedAccountIds: ["222222222222"] } },
    });
  });

  it("gives an unconfigured stage (type generation in CI) the defaults", () => {
    const settings = appSettings("ci", { AURORA_RESTORE_DEPLOY_CONFIG: "/nonexistent.json" }, repositoryRoot);
    expect(settings).toMatchObject({ name: "aurora-restore", home: "aws", removal: "remove" });
  });
});
