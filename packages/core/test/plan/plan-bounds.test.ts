import { describe, expect, it } from "vitest";
import { type PlanInput, planLimits } from "../../src/plan/schema";
import { PlanValidationError, parsePlanJson, planInputLimits, validatePlan } from "../../src/plan/validate";

const target = {
  accountId: "222222222222",
  region: "eu-west-1",
  clusterIdentifier: "orders-staging",
  kmsKeyId: "arn:aws:kms:eu-west-1:222222222222:key/7c2d9e4f-2222-4b4b-8e8e-000000000002",
  masterSecretName: "orders-staging/master",
};
const plan: PlanInput = {
  id: "orders",
  source: {
    accountId: "111111111111",
    region: "eu-west-1",
    clusterIdentifier: "orders-prod",
    roleArn: "arn:aws:iam::111111111111:role/aurora-restore-source-access",
    shareableKmsKeyId: "arn:aws:kms:eu-west-1:111111111111:alias/aurora-restore-shareable",
  },
  targets: [target],
  notificationTopicArn: "arn:aws:sns:eu-west-1:222222222222:aurora-restore",
};

function errorOf(run: () => unknown): PlanValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof PlanValidationError) return error;
    throw error;
  }
  throw new Error("expected a PlanValidationError");
}

const lines = (error: PlanValidationError) => error.issues.map((i) => `${i.path}: ${i.message}`);

/** C0/C1 control characters and DEL, by code point. */
function hasControlCharacter(text: string): boolean {
  return [...text].some((c) => {
    const code = c.codePointAt(0) as number;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });
}

/** Lines of an error message, each checked for control characters (the message's own new lines aside). */
function controlCharactersIn(message: string): boolean {
  return message.split("\n").some(hasControlCharacter);
}

describe("plan ARNs", () => {
  it("accepts keys, roles and topics of every partition in their own regions", () => {
    expect(() => validatePlan(plan)).not.toThrow();
    const china = {
      ...plan,
      source: { accountId: "111111111111", region: "cn-north-1", clusterIdentifier: "orders-prod" },
      targets: [
        { ...target, region: "cn-north-1", kmsKeyId: "arn:aws-cn:kms:cn-north-1:222222222222:alias/restore" },
      ],
      notificationTopicArn: "arn:aws-cn:sns:cn-north-1:222222222222:aurora-restore",
    };
    expect(() => validatePlan(china)).not.toThrow();
  });

  it.each([
    [
      "targets[0].kmsKeyId",
      { targets: [{ ...target, kmsKeyId: "arn:awsevil:kms:eu-west-1:222222222222:key/k" }] },
      /partition must be aws, aws-cn, aws-us-gov/,
    ],
    [
      "targets[0].kmsKeyId",
      { targets: [{ ...target, kmsKeyId: "arn:aws:kms:eu-west-1:22222222222:key/k" }] },
      /12-digit/,
    ],
    [
      "targets[0].kmsKeyId",
      { targets: [{ ...target, kmsKeyId: "arn:aws:kms:eu-west-1:222222222222:key/../../x" }] },
      /key\/<key id> or alias\/<name>/,
    ],
    [
      "targets[0].kmsKeyId",
      { targets: [{ ...target, kmsKeyId: "arn:aws:kms::222222222222:key/k" }] },
      /region is missing/,
    ],
    [
      "targets[0].kmsKeyId",
      { targets: [{ ...target, kmsKeyId: "arn:aws:kms:evil:222222222222:key/k" }] },
      /not a region/,
    ],
    [
      "targets[0].kmsKeyId",
      { targets: [{ ...target, kmsKeyId: "arn:aws:s3:eu-west-1:222222222222:key/k" }] },
      /service must be kms/,
    ],
    [
      "targets[0].kmsKeyId",
      { targets: [{ ...target, kmsKeyId: "arn:aws-cn:kms:eu-west-1:222222222222:key/k" }] },
      /partition aws, not aws-cn/,
    ],
    [
      "targets[0].kmsKeyId",
      { targets: [{ ...target, kmsKeyId: `arn:aws:kms:eu-west-1:222222222222:key/${"a".repeat(65)}` }] },
      /key\/<key id>/,
    ],
    [
      "source.shareableKmsKeyId",
      { source: { ...plan.source, shareableKmsKeyId: "arn:awsevil:kms:eu-west-1:111111111111:key/k" } },
      /partition/,
    ],
    [
      "source.roleArn",
      { source: { ...plan.source, roleArn: "arn:awsevil:iam::111111111111:role/r" } },
      /partition/,
    ],
    [
      "source.roleArn",
      { source: { ...plan.source, roleArn: "arn:aws:iam:eu-west-1:111111111111:role/r" } },
      /iam ARNs have no region/,
    ],
    [
      "notificationTopicArn",
      { notificationTopicArn: "arn:awsevil:sns:eu-west-1:222222222222:t" },
      /partition/,
    ],
    [
      "notificationTopicArn",
      { notificationTopicArn: `arn:aws:sns:eu-west-1:222222222222:${"t".repeat(3_000)}` },
      /at most 2048/,
    ],
  ])("refuses a forged ARN in %s", (path, change, message) => {
    const error = errorOf(() => validatePlan({ ...plan, ...change }));
    expect(
      lines(error).some((l) => l.startsWith(`${path}: `) && message.test(l)),
      lines(error).join("\n"),
    ).toBe(true);
  });
});

describe("plan bounds", () => {
  it.each([
    [
      "a description of 1 MB",
      { description: "x".repeat(1_000_000) },
      /^(description|\(plan\)|description): .*(at most|longer than)/,
    ],
    [
      "a SQL step over the limit",
      {
        targets: [
          { ...target, postRestoreSql: [{ name: "big", sql: `SELECT '${"x".repeat(planLimits.sql)}'` }] },
        ],
      },
      /^targets\[0\]\.postRestoreSql\[0\]\.sql: at most 65536 characters/,
    ],
    [
      "a SQL step name of 10,000 characters",
      { targets: [{ ...target, postRestoreSql: [{ name: "n".repeat(10_000), sql: "SELECT 1" }] }] },
      /^targets\[0\]\.postRestoreSql\[0\]\.name: at most 128 characters/,
    ],
    ["51 targets", { targets: Array.from({ length: 51 }, () => target) }, /^targets: at most 50 targets/],
    [
      "101 SQL steps",
      {
        targets: [
          { ...target, postRestoreSql: Array.from({ length: 101 }, () => ({ name: "s", sql: "SELECT 1" })) },
        ],
      },
      /^targets\[0\]\.postRestoreSql: at most 100 SQL steps/,
    ],
    [
      "a table name of three parts",
      {
        targets: [{ ...target, checks: [{ type: "row-count", name: "c", table: "a.b.c", min: 1 }] }],
      },
      /^targets\[0\]\.checks\[0\]\.table: a table name/,
    ],
    [
      "a check name with a new line",
      { targets: [{ ...target, checks: [{ type: "table-exists", name: "a\nb", table: "t" }] }] },
      /^targets\[0\]\.checks\[0\]\.name: must not contain control characters/,
    ],
  ])("refuses %s with the field named", (_case, change, expected) => {
    const error = errorOf(() => validatePlan({ ...plan, ...change }));
    expect(
      lines(error).some((l) => expected.test(l)),
      lines(error).join("\n"),
    ).toBe(true);
  });

  it("refuses 100,000 targets at once, before reading them", () => {
    const started = performance.now();
    const error = errorOf(() =>
      validatePlan({ ...plan, targets: Array.from({ length: 100_000 }, () => target) }),
    );
    expect(lines(error)).toEqual([`targets: has 100000 items; at most ${planInputLimits.arrayItems}`]);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("refuses a plan nested 3,000 levels deep without walking it recursively", () => {
    let deep: unknown = "bottom";
    for (let i = 0; i < 3_000; i++) deep = { a: deep };
    const error = errorOf(() => validatePlan({ ...plan, description: deep }));
    expect(lines(error)).toEqual([
      expect.stringMatching(/^description(\.a)+: is nested more than 16 levels deep$/),
    ]);
  });

  it("refuses a plan file over 1 MiB before parsing it", () => {
    const text = JSON.stringify({ ...plan, description: "x".repeat(planInputLimits.fileBytes) });
    expect(() => parsePlanJson(text, "big.json")).toThrow(
      /big\.json is not a valid plan:\n {2}- \(file\): is \d+ characters long; a plan file has at most 1048576/,
    );
  });

  it("lists at most 50 issues and counts the rest", () => {
    const users = Array.from({ length: 50 }, (_, i) => ({
      username: `Bad-${i}`,
      secretName: "s!",
      grants: [],
    }));
    const error = errorOf(() => validatePlan({ ...plan, targets: [{ ...target, applicationUsers: users }] }));
    expect(error.issues.length).toBeGreaterThan(50);
    expect(error.message).toMatch(/\.\.\. and \d+ more$/);
    expect(error.message.split("\n")).toHaveLength(1 + 50 + 1);
  });
});

describe("control characters in plan keys and values", () => {
  const terminalEscape = "\u001b[2J\u001b]0;owned\u0007";

  it("escapes them in the field names the errors print", () => {
    const error = errorOf(() =>
      validatePlan({
        ...plan,
        [`evil${terminalEscape}`]: 1,
        targets: [{ ...target, [`k${terminalEscape}\r\n- fake: line`]: 1 }],
      }),
    );
    expect(controlCharactersIn(error.message)).toBe(false);
    expect(error.message).toContain("evil\\u001b[2J\\u001b]0;owned\\u0007");
    expect(error.message).toContain("k\\u001b[2J");
    expect(error.message).not.toMatch(/\n- fake: line/);
  });

  it("escapes them in the paths of nested issues and in long keys", () => {
    const error = errorOf(() =>
      validatePlan({
        ...plan,
        targets: [{ ...target, network: { [`${"k".repeat(500)}${terminalEscape}`]: 1 } }],
      }),
    );
    expect(controlCharactersIn(error.message)).toBe(false);
    expect(error.message).not.toContain("k".repeat(100));
  });

  it("escapes them in the file name and in the JSON parser's message", () => {
    const error = errorOf(() => parsePlanJson(`{"id": "x${terminalEscape}`, `plan${terminalEscape}.json`));
    expect(controlCharactersIn(error.message)).toBe(false);
    expect(error.message).toMatch(/^plan\\u001b\[2J.*\.json is not a valid plan:/);
  });

  it("refuses them in values with the field named", () => {
    const error = errorOf(() => validatePlan({ ...plan, description: `ok${terminalEscape}` }));
    expect(lines(error)).toEqual([
      expect.stringMatching(/^description: must not contain control characters/),
    ]);
  });

  it("does not let __proto__ keys through or change Object.prototype", () => {
    const input = JSON.parse(
      JSON.stringify(plan).replace('"id":"orders"', '"id":"orders","__proto__":{"polluted":true}'),
    );
    const error = errorOf(() => validatePlan(input));
    expect(lines(error)).toEqual([
      "(plan): unknown field(s) __proto__: check the spelling against the plan schema",
    ]);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});
