import { describe, expect, it } from "vitest";
import type { PlanInput } from "../../src/plan/schema";
import { PlanValidationError, validatePlan } from "../../src/plan/validate";

/** Issue 10, item 7: the settings a plan may give the restored cluster and instances, checked with the field named. */

const plan = (target: Record<string, unknown>): PlanInput =>
  ({
    id: "orders",
    source: { accountId: "222222222222", region: "eu-west-1", clusterIdentifier: "orders-prod" },
    targets: [
      {
        accountId: "222222222222",
        region: "eu-west-1",
        clusterIdentifier: "orders-staging",
        kmsKeyId: "arn:aws:kms:eu-west-1:222222222222:key/target-key",
        masterSecretName: "aurora-restore/orders-staging/master",
        ...target,
      },
    ],
    notificationTopicArn: "arn:aws:sns:eu-west-1:222222222222:aurora-restore",
  }) as PlanInput;

function issuesOf(input: PlanInput): string[] {
  try {
    validatePlan(input, "plan.json");
    return [];
  } catch (error) {
    if (!(error instanceof PlanValidationError)) throw error;
    return error.issues.map((i) => `${i.path}: ${i.message}`);
  }
}

describe("target settings in plans", () => {
  it("accepts every setting and keeps instances private by default", () => {
    const valid = validatePlan(
      plan({
        settings: {
          deletionProtection: true,
          backupRetentionDays: 14,
          iamDatabaseAuthentication: true,
          logExports: ["postgresql"],
          tags: { team: "orders" },
        },
        instances: {
          instanceClass: "db.r6g.large",
          parameterGroupName: "orders-params",
          performanceInsights: { enabled: true, retentionPeriod: 7 },
          monitoring: { intervalSeconds: 60, roleArn: "arn:aws:iam::222222222222:role/rds-monitoring" },
        },
      }),
    );
    expect(valid.targets[0]?.instances.publiclyAccessible).toBe(false);
    expect(valid.targets[0]?.settings.backupRetentionDays).toBe(14);
  });

  it("names the field of each refused setting", () => {
    expect(
      issuesOf(
        plan({
          settings: { backupRetentionDays: 36, tags: { "aws:owner": "x" }, logExports: ["mysql"] },
          instances: { instanceClass: "db.r6g.large", monitoring: { intervalSeconds: 60 } },
        }),
      ),
    ).toEqual([
      expect.stringMatching(/^targets\[0\]\.instances\.monitoring: give roleArn/),
      expect.stringMatching(/^targets\[0\]\.settings\.backupRetentionDays: /),
      expect.stringMatching(/^targets\[0\]\.settings\.logExports\[0\]: /),
      expect.stringMatching(
        /^targets\[0\]\.settings\.tags\.aws:owner: aws: and aurora-restore: tag keys are reserved/,
      ),
    ]);
  });
});
