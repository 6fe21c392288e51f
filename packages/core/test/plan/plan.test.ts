import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { complianceProfiles, type PlanInput } from "../../src/plan/schema";
import { PlanValidationError, parsePlanJson, validatePlan } from "../../src/plan/validate";

const plan: PlanInput = {
  id: "orders",
  source: {
    accountId: "111111111111",
    region: "us-east-1",
    clusterIdentifier: "orders-prod",
    roleArn: "arn:aws:iam::111111111111:role/aurora-restore-source",
    shareableKmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/0f3c2a9e-1111-4d5e-8f00-0123456789ab",
  },
  targets: [
    {
      accountId: "222222222222",
      region: "eu-west-1",
      clusterIdentifier: "orders-staging",
      kmsKeyId: "arn:aws:kms:eu-west-1:222222222222:alias/aurora-restore",
      masterSecretName: "aurora-restore/orders-staging/master",
      applicationUsers: [
        {
          username: "app_rw",
          secretName: "orders-staging/app_rw",
          grants: [{ privileges: ["SELECT", "INSERT"] }],
        },
      ],
      postRestoreSql: [
        { name: "mask emails", sql: "UPDATE customers SET email = md5(email) || '@example.invalid'" },
      ],
      checks: [
        { type: "table-exists", name: "orders table", table: "public.orders" },
        { type: "row-count", name: "some customers", table: "public.customers", min: 1 },
      ],
    },
  ],
  notificationTopicArn: "arn:aws:sns:eu-west-1:222222222222:aurora-restore",
};

function issuesOf(input: unknown): string[] {
  try {
    validatePlan(input, "plan.json");
  } catch (error) {
    if (error instanceof PlanValidationError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

describe("plan validation", () => {
  it("accepts a complete plan and fills the defaults", () => {
    const valid = validatePlan(plan);
    expect(valid.compliance).toBe("default");
    expect(valid.trigger).toEqual({ type: "every-snapshot", snapshotTypes: ["automated", "manual"] });
    expect(valid.targets[0]?.instances).toEqual({
      instanceClass: "db.r6g.large",
      count: 1,
      publiclyAccessible: false,
    });
    expect(valid.targets[0]?.settings).toEqual({});
    expect(valid.targets[0]?.applicationUsers[0]?.grants[0]?.schema).toBe("public");
    expect(complianceProfiles[valid.compliance]).toBe(90);
  });

  it.each([
    ["a missing field", { ...plan, notificationTopicArn: undefined }, /^notificationTopicArn: is required/],
    [
      "a short account id",
      { ...plan, source: { ...plan.source, accountId: "1111" } },
      /^source\.accountId: .*12 digits/,
    ],
    [
      "a key id instead of an ARN",
      { ...plan, targets: [{ ...plan.targets[0], kmsKeyId: "0f3c2a9e" }] },
      /^targets\[0\]\.kmsKeyId: a full KMS key ARN/,
    ],
    [
      "a key in another region",
      { ...plan, targets: [{ ...plan.targets[0], kmsKeyId: "arn:aws:kms:us-east-1:222222222222:key/abc" }] },
      /^targets\[0\]\.kmsKeyId: the key is in us-east-1 but the target is in eu-west-1/,
    ],
    [
      "a clone across accounts",
      { ...plan, targets: [{ ...plan.targets[0], restoreMethod: "clone" }] },
      /^targets\[0\]\.restoreMethod: an Aurora clone works only/,
    ],
    ["a misspelt field", { ...plan, compliances: "pci" }, /^\(plan\): unknown field\(s\) compliances/],
    [
      "a bad user name",
      {
        ...plan,
        targets: [{ ...plan.targets[0], applicationUsers: [{ username: "App; DROP", secretName: "x" }] }],
      },
      /^targets\[0\]\.applicationUsers\[0\]\.username: a lower-case PostgreSQL name/,
    ],
    ["no targets", { ...plan, targets: [] }, /^targets: list at least one target/],
  ])("names the field and the fix for %s", (_case, input, expected) => {
    const issues = issuesOf(input);
    expect(issues.length).toBeGreaterThan(0);
    expect(
      issues.some((line) => expected.test(line)),
      issues.join("\n"),
    ).toBe(true);
  });

  it("names the file when the JSON itself is broken", () => {
    expect(() => parsePlanJson("{ not json", "plans/x.json")).toThrow(
      /plans\/x\.json is not a valid plan:[\s\S]*not valid JSON/,
    );
  });

  const examples = resolve(import.meta.dirname, "../../../../examples/plans");
  const files = existsSync(examples) ? readdirSync(examples).filter((f) => f.endsWith(".json")) : [];
  it.each(files)("example plan %s is valid", (file) => {
    expect(() => parsePlanJson(readFileSync(join(examples, file), "utf8"), file)).not.toThrow();
  });
});
