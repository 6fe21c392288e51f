import type { PolicyStatement } from "@aurora-restore/core";
import { RestoreFailed, RestoreVerified } from "@aurora-restore/core";
import {
  compactStatements,
  functionStatements,
  PolicyViolationError,
  policyViolations,
  resourceCovers,
  toSstPermissions,
} from "@aurora-restore/functions/shared/deploy/iam";
import { keyAliasArn } from "@aurora-restore/functions/shared/deploy/names";
import { describe, expect, it } from "vitest";
import { AUDIT_TABLE_ACTIONS } from "../src/shared/permissions";
import { stages } from "../src/stages";
import { deployment, sampleContext } from "./support/deployment-fixtures";

const encryption = { keyAliasArn: keyAliasArn(deployment), tablesUseCustomerKey: true };

function statementsOf(name: string): PolicyStatement[] {
  const service = stages.find((s) => s.name === name);
  if (!service) throw new Error(`no service ${name}`);
  return functionStatements(deployment, sampleContext(), service, encryption);
}

function actionsOf(name: string): string[] {
  return [...new Set(statementsOf(name).flatMap((s) => s.actions))].sort();
}

describe("each service's permissions for the sample plans", () => {
  const context = sampleContext();

  it.each(stages.map((s) => [s.name, s] as const))("%s passes the least-privilege rules", (_, service) => {
    const declared = service.permissions(context);
    expect(declared.length).toBeGreaterThan(0);
    expect(policyViolations(declared, context)).toEqual([]);
    const deployed = functionStatements(deployment, context, service, encryption);
    for (const statement of deployed) {
      for (const action of statement.actions) {
        expect(action).not.toContain("*");
        expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
      }
      expect(statement.resources).not.toContain("*");
      expect(statement.resources.length).toBeGreaterThan(0);
    }
  });

  it.each(stages.map((s) => [s.name] as const))("%s gets only put/get/query on the audit table", (name) => {
    const onAudit = statementsOf(name).filter((s) =>
      s.resources.some((r) => resourceCovers(r, context.auditTableArn)),
    );
    expect(onAudit.length).toBeGreaterThan(0);
    for (const statement of onAudit) {
      expect(AUDIT_TABLE_ACTIONS).toEqual(expect.arrayContaining(statement.actions));
      expect(statement.actions).not.toContain("dynamodb:UpdateItem");
      expect(statement.actions).not.toContain("dynamodb:DeleteItem");
    }
  });

  it("scopes every RDS, Secrets Manager and KMS resource to the plans' accounts and regions", () => {
    const allowed = ["111111111111", "222222222222"];
    for (const service of stages) {
      for (const statement of statementsOf(service.name)) {
        for (const resource of statement.resources) {
          const [, , , region, account] = resource.split(":");
          if (resource.startsWith("arn:aws:iam::")) continue;
          expect(region, `${service.name}: ${resource}`).toBe("eu-west-1");
          expect(allowed, `${service.name}: ${resource}`).toContain(account);
        }
      }
    }
  });

  it("gives each stage only the RDS calls its stage makes", () => {
    expect(actionsOf("notify").filter((a) => a.startsWith("rds:"))).toEqual([]);
    expect(actionsOf("verify").filter((a) => !a.match(/^(dynamodb|events|kms|sqs):/))).toEqual([
      "rds:DescribeDBClusters",
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetSecretValue",
    ]);
    expect(actionsOf("watcher").filter((a) => a.startsWith("rds:"))).toEqual([
      "rds:DescribeDBClusterSnapshots",
      "rds:DescribeDBClusters",
      "rds:DescribeDBInstances",
    ]);
    expect(actionsOf("cutover")).toContain("rds:DeleteDBCluster");
    // cleanup deletes only the cluster a cutover moved away (with its final snapshot) and a failed
    // operation's -next cluster, never the target under its own name.
    const cleanupDeletes = statementsOf("cleanup").filter((s) => s.actions.includes("rds:DeleteDBCluster"));
    expect(cleanupDeletes.flatMap((s) => s.resources).filter((r) => r.includes(":cluster:"))).toEqual([
      "arn:aws:rds:eu-west-1:222222222222:cluster:orders-staging-old-*",
      "arn:aws:rds:eu-west-1:222222222222:cluster:orders-staging-next",
      "arn:aws:rds:eu-west-1:222222222222:cluster:reporting-qa-old-*",
      "arn:aws:rds:eu-west-1:222222222222:cluster:reporting-qa-next",
      "arn:aws:rds:eu-west-1:222222222222:cluster:reporting-dev-old-*",
      "arn:aws:rds:eu-west-1:222222222222:cluster:reporting-dev-next",
    ]);
    expect(actionsOf("restore")).not.toContain("rds:DeleteDBCluster");
    // Only the plan using a clone needs point-in-time restore, on its own source cluster.
    const clone = statementsOf("restore").find((s) =>
      s.actions.includes("rds:RestoreDBClusterToPointInTime"),
    );
    expect(clone?.resources).toContain("arn:aws:rds:eu-west-1:222222222222:cluster:reporting-prod");
    expect(clone?.resources).not.toContain("arn:aws:rds:eu-west-1:111111111111:cluster:orders-prod");
  });

  it("reaches a source account through the plan's role, and the own account directly", () => {
    const prepare = statementsOf("prepare");
    const assume = prepare.filter((s) => s.actions.includes("sts:AssumeRole"));
    expect(assume.flatMap((s) => s.resources)).toEqual([
      "arn:aws:iam::111111111111:role/aurora-restore-source-production-source-access",
    ]);
    const copyInOwnAccount = prepare.find((s) => s.actions.includes("rds:CopyDBClusterSnapshot"));
    expect(copyInOwnAccount?.resources).toEqual(["arn:aws:rds:eu-west-1:222222222222:cluster-snapshot:*"]);
    expect(prepare.flatMap((s) => s.resources).some((r) => r.includes(":111111111111:cluster"))).toBe(false);
  });

  it("lets a stage publish only the detail-types its contracts say it produces", () => {
    const publish = statementsOf("verify").find((s) => s.actions.includes("events:PutEvents"));
    expect(publish?.resources).toEqual([sampleContext().busArn]);
    expect(publish?.conditions?.["ForAllValues:StringEquals"]?.["events:detail-type"]).toEqual([
      RestoreVerified.detailType,
      RestoreFailed.detailType,
    ]);
    expect(statementsOf("notify").some((s) => s.actions.includes("events:PutEvents"))).toBe(false);
  });

  it("narrows a key given by alias ARN to the keys carrying that alias", () => {
    const grants = statementsOf("restore").filter((s) => s.actions.includes("kms:CreateGrant"));
    const byAlias = grants.find((s) => s.resources.includes("arn:aws:kms:eu-west-1:222222222222:key/*"));
    expect(byAlias?.conditions).toEqual({
      Bool: { "kms:GrantIsForAWSResource": "true" },
      "ForAnyValue:StringEquals": { "kms:ResourceAliases": ["alias/qa-databases"] },
    });
  });

  it("adds the topic key (through SNS) only to functions that publish to the topic", () => {
    const viaSns = (name: string) =>
      statementsOf(name).some(
        (s) => s.conditions?.StringEquals?.["kms:ViaService"] === "sns.eu-west-1.amazonaws.com",
      );
    expect(viaSns("notify")).toBe(true);
    expect(viaSns("restore")).toBe(false);
  });
});

describe("policyViolations catches what the rules forbid", () => {
  const context = sampleContext();
  const cases: [string, PolicyStatement, RegExp][] = [
    [
      "a service wildcard",
      { actions: ["rds:*"], resources: ["arn:aws:rds:eu-west-1:1:cluster:x"] },
      /wildcard action/,
    ],
    ["a partial wildcard", { actions: ["rds:Describe*"], resources: ["arn:x"] }, /wildcard action/],
    ["a bare *", { actions: ["*"], resources: ["arn:x"] }, /wildcard action/],
    [
      "* resource without a reason",
      { actions: ["cloudwatch:PutMetricData"], resources: ["*"] },
      /without a wildcardReason/,
    ],
    [
      "* resource where resource-level permissions exist",
      { actions: ["rds:DescribeDBClusters"], resources: ["*"], wildcardReason: "easier" },
      /supports resource-level/,
    ],
    [
      "UpdateItem on the audit table",
      { actions: ["dynamodb:UpdateItem"], resources: [context.auditTableArn] },
      /audit table/,
    ],
    [
      "DeleteItem on every table of the account",
      { actions: ["dynamodb:DeleteItem"], resources: ["arn:aws:dynamodb:eu-west-1:222222222222:table/*"] },
      /audit table/,
    ],
    [
      "BatchWriteItem on the audit index",
      { actions: ["dynamodb:BatchWriteItem"], resources: [`${context.auditTableArn}/index/*`] },
      /audit table/,
    ],
    ["no resource", { actions: ["sns:Publish"], resources: [] }, /no resource/],
  ];

  it.each(cases)("rejects %s", (_, statement, message) => {
    const violations = policyViolations([statement], context);
    expect(violations.join("\n")).toMatch(message);
  });

  it("accepts * for an action without resource-level permissions when the reason is given", () => {
    const statement = {
      actions: ["xray:PutTraceSegments"],
      resources: ["*"],
      wildcardReason: "X-Ray has no resources",
    };
    expect(policyViolations([statement], context)).toEqual([]);
  });

  it("refuses to deploy a service whose declaration breaks the rules, naming the file to fix", () => {
    const bad = { ...stages[0]!, permissions: () => [{ actions: ["dynamodb:*"], resources: ["*"] }] };
    expect(() => functionStatements(deployment, context, bad, encryption)).toThrow(PolicyViolationError);
    expect(() => functionStatements(deployment, context, bad, encryption)).toThrow(
      /trigger\/permissions\.ts/,
    );
  });
});

describe("compactStatements and toSstPermissions", () => {
  it("merges statements that differ only in resources, keeping conditions apart", () => {
    const merged = compactStatements([
      { actions: ["rds:DescribeDBClusters"], resources: ["a", "b"] },
      { actions: ["rds:DescribeDBClusters"], resources: ["b", "c"] },
      { actions: ["kms:CreateGrant"], resources: ["k1"], conditions: { Bool: { x: "true" } } },
      { actions: ["kms:CreateGrant"], resources: ["k2"] },
    ]);
    expect(merged).toEqual([
      { actions: ["rds:DescribeDBClusters"], resources: ["a", "b", "c"] },
      { actions: ["kms:CreateGrant"], resources: ["k1"], conditions: { Bool: { x: "true" } } },
      { actions: ["kms:CreateGrant"], resources: ["k2"] },
    ]);
  });

  it("turns IAM JSON conditions into SST's test/variable/values", () => {
    expect(
      toSstPermissions([
        {
          actions: ["events:PutEvents"],
          resources: ["bus"],
          conditions: { StringEquals: { a: "1", b: ["2", "3"] } },
        },
      ]),
    ).toEqual([
      {
        actions: ["events:PutEvents"],
        resources: ["bus"],
        conditions: [
          { test: "StringEquals", variable: "a", values: ["1"] },
          { test: "StringEquals", variable: "b", values: ["2", "3"] },
        ],
      },
    ]);
  });
});

describe("each stage reaches only what it touches (issue 10, item 10)", () => {
  const rds = (resource: string) => `arn:aws:rds:eu-west-1:222222222222:${resource}`;
  const covering = (service: string, action: string, arn: string) =>
    statementsOf(service).some(
      (s) => s.actions.includes(action) && s.resources.some((r) => resourceCovers(r, arn)),
    );
  const live = rds("cluster:orders-staging");
  const next = rds("cluster:orders-staging-next");
  const old = rds("cluster:orders-staging-old-0a1b2c3d4e");

  it("configure modifies only the restored cluster, never the live target", () => {
    expect(covering("configure", "rds:ModifyDBCluster", next)).toBe(true);
    expect(covering("configure", "rds:ModifyDBCluster", live)).toBe(false);
    expect(covering("configure", "rds:ModifyDBCluster", old)).toBe(false);
  });

  it("restore creates and tags only under the temporary name", () => {
    for (const action of [
      "rds:RestoreDBClusterFromSnapshot",
      "rds:CreateDBInstance",
      "rds:AddTagsToResource",
    ]) {
      expect(covering("restore", action, next), action).toBe(true);
      expect(covering("restore", action, live), action).toBe(false);
      expect(covering("restore", action, old), action).toBe(false);
    }
    expect(covering("restore", "rds:CreateDBInstance", rds("db:orders-staging-next-1"))).toBe(true);
    expect(covering("restore", "rds:CreateDBInstance", rds("db:orders-staging-1"))).toBe(false);
  });

  it("cutover deletes only the cluster it moved away (and its final snapshot), never the live target", () => {
    expect(covering("cutover", "rds:DeleteDBCluster", old)).toBe(true);
    expect(
      covering("cutover", "rds:DeleteDBCluster", rds("cluster-snapshot:orders-staging-old-0a1b2c3d4e-final")),
    ).toBe(true);
    expect(covering("cutover", "rds:DeleteDBCluster", live)).toBe(false);
    expect(covering("cutover", "rds:DeleteDBCluster", next)).toBe(false);
    expect(covering("cutover", "rds:DeleteDBInstance", rds("db:orders-staging-old-0a1b2c3d4e-1"))).toBe(true);
    expect(covering("cutover", "rds:DeleteDBInstance", rds("db:orders-staging-1"))).toBe(false);
  });

  it("no function creates or deletes the instances of another cluster named after the target", () => {
    const other = rds("db:orders-staging-reporting-1");
    for (const service of stages) {
      for (const action of ["rds:CreateDBInstance", "rds:DeleteDBInstance"]) {
        expect(covering(service.name, action, other), `${service.name} ${action}`).toBe(false);
      }
    }
  });
});
