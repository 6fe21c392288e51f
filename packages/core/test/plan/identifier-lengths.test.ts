import { describe, expect, it } from "vitest";
import {
  MAX_CLUSTER_INSTANCES,
  MAX_TARGET_CLUSTER_ID_LENGTH,
  RDS_IDENTIFIER_MAX_LENGTH,
  resourceNames,
} from "../../src/operation/ids";
import type { PlanInput } from "../../src/plan/schema";
import { PlanValidationError, validatePlan } from "../../src/plan/validate";

/**
 * Issue 10, item 9: the names the pipeline derives from a target's cluster id (`<target>-next-<n>`,
 * `<target>-old-<10 hex>-<n>`) must fit RDS's 63 characters; plan validation states the longest target id
 * that works and names the field.
 */

const plan = (clusterIdentifier: string): PlanInput => ({
  id: "orders",
  source: { accountId: "222222222222", region: "eu-west-1", clusterIdentifier: "orders-prod" },
  targets: [
    {
      accountId: "222222222222",
      region: "eu-west-1",
      clusterIdentifier,
      kmsKeyId: "arn:aws:kms:eu-west-1:222222222222:key/target-key",
      masterSecretName: "aurora-restore/orders-staging/master",
    },
  ],
  notificationTopicArn: "arn:aws:sns:eu-west-1:222222222222:aurora-restore",
});

/** Every cluster and instance identifier an operation can derive from the target id. */
function derivedIdentifiers(target: string): string[] {
  const names = resourceNames("refresh-by-hand-2026-03-14", target);
  const instances = (cluster: string) =>
    Array.from({ length: MAX_CLUSTER_INSTANCES }, (_, i) => names.instance(i, cluster));
  return [
    names.nextCluster,
    names.oldCluster,
    ...instances(names.nextCluster),
    ...instances(names.oldCluster),
    ...instances(target),
  ];
}

describe("target cluster ids and the names derived from them", () => {
  it("is 45 characters: <target>-old-<10 hex>-<n> fills RDS's 63", () => {
    expect(MAX_TARGET_CLUSTER_ID_LENGTH).toBe(45);
  });

  it("accepts the longest target id, and every name derived from it fits RDS's limit", () => {
    const id = `a${"b".repeat(MAX_TARGET_CLUSTER_ID_LENGTH - 1)}`;
    expect(() => validatePlan(plan(id))).not.toThrow();
    const tooLong = derivedIdentifiers(id).filter((name) => name.length > RDS_IDENTIFIER_MAX_LENGTH);
    expect(tooLong).toEqual([]);
    expect(Math.max(...derivedIdentifiers(id).map((n) => n.length))).toBe(RDS_IDENTIFIER_MAX_LENGTH);
  });

  it("refuses one character more, naming the field, the limit and why", () => {
    const id = `a${"b".repeat(MAX_TARGET_CLUSTER_ID_LENGTH)}`;
    expect(derivedIdentifiers(id).some((name) => name.length > RDS_IDENTIFIER_MAX_LENGTH)).toBe(true);
    let issues: string[] = [];
    try {
      validatePlan(plan(id), "plan.json");
    } catch (error) {
      if (!(error instanceof PlanValidationError)) throw error;
      issues = error.issues.map((i) => `${i.path}: ${i.message}`);
    }
    expect(issues).toEqual([
      expect.stringMatching(/^targets\[0\]\.clusterIdentifier: at most 45 characters .*-old-.*63/),
    ]);
  });
});
