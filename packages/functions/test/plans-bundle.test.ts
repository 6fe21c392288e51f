import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { environmentNames, type Plan, validatePlan } from "@aurora-restore/core";
import {
  functionEnvironment,
  LAMBDA_ENVIRONMENT_LIMIT,
  plansBundle,
  sstAddedEnvironment,
} from "@aurora-restore/functions/shared/deploy/function-environment";
import { permissionContextFor } from "@aurora-restore/functions/shared/deploy/names";
import { describe, expect, it } from "vitest";
import { awsStageDeps } from "../src/runtime/aws-deps";
import { stages } from "../src/stages";
import { deployment, examplePlan } from "./support/deployment-fixtures";

/**
 * Issue 10, item 6: plans ship with the functions as a bundled file (SST `copyFiles`), not in one
 * environment variable; the 4 KB environment check counts what SST adds to every function.
 */

/** A plan as people write them: several masking statements, users, checks. */
function realPlan(i: number): Plan {
  const base = examplePlan();
  const target = base.targets[0]!;
  const masking = ["customers", "orders", "payments", "addresses", "support_tickets"].map((table) => ({
    name: `mask ${table}`,
    sql:
      `UPDATE public.${table} SET email = 'user' || id || '@example.invalid', phone = NULL, ` +
      `full_name = 'Customer ' || id, street = md5(street), postal_code = left(postal_code, 2) || 'XXX', ` +
      `notes = regexp_replace(coalesce(notes, ''), '[0-9]{6,}', '######', 'g') WHERE ${table}.id IS NOT NULL`,
  }));
  return validatePlan({
    ...base,
    id: `orders-staging-${i}`,
    targets: [{ ...target, clusterIdentifier: `orders-staging-${i}`, postRestoreSql: masking }],
  });
}

const plans = Array.from({ length: 20 }, (_, i) => realPlan(i + 1));
const context = permissionContextFor(deployment, plans);
const sizeOf = (env: Record<string, string>) =>
  Object.entries(env).reduce((total, [k, v]) => total + Buffer.byteLength(k) + Buffer.byteLength(v), 0);

describe("plans ship with the functions", () => {
  it("20 plans with real masking SQL deploy: no plan in the environment, which stays under 4 KB with SST's own variables", () => {
    expect(JSON.stringify(plans).length).toBeGreaterThan(4 * LAMBDA_ENVIRONMENT_LIMIT);
    for (const declaration of stages) {
      const env = functionEnvironment({
        stage: "production",
        topicArn: context.topicArn,
        declaration,
        plans,
      });
      expect(Object.values(env).join("")).not.toContain("mask customers");
      const withSst = { ...env, ...sstAddedEnvironment({ stage: "production", dev: true }) };
      expect(sizeOf(withSst)).toBeLessThan(LAMBDA_ENVIRONMENT_LIMIT);
    }
  });

  it("the bundled file holds exactly the plans, and a handler reads them from its package", async () => {
    const bundle = plansBundle("production", plans);
    expect(JSON.parse(bundle.contents)).toEqual(plans);
    // Lambda's task root holds the package; copyFiles put the file at `bundle.to` in it.
    const taskRoot = mkdtempSync(join(tmpdir(), "task-root-"));
    const file = join(taskRoot, bundle.to);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bundle.contents);
    const env = functionEnvironment({
      stage: "production",
      topicArn: context.topicArn,
      declaration: stages[0]!,
      plans,
    });
    const deps = awsStageDeps({ ...env, AWS_REGION: "eu-west-1", LAMBDA_TASK_ROOT: taskRoot });
    expect((await deps.plans.list()).map((p) => p.id)).toEqual(plans.map((p) => p.id));
  });

  it("names the variable and the file when the bundled plans are missing or invalid", () => {
    const env = functionEnvironment({
      stage: "production",
      topicArn: context.topicArn,
      declaration: stages[0]!,
      plans,
    });
    const taskRoot = mkdtempSync(join(tmpdir(), "task-root-"));
    expect(() => awsStageDeps({ ...env, AWS_REGION: "eu-west-1", LAMBDA_TASK_ROOT: taskRoot })).toThrow(
      new RegExp(`${environmentNames.plansFile}.*could not be read`),
    );
    writeFileSync(join(taskRoot, plansBundle("production", plans).to), "[{}]");
    expect(() => awsStageDeps({ ...env, AWS_REGION: "eu-west-1", LAMBDA_TASK_ROOT: taskRoot })).toThrow(
      /aurora-restore-plans\.json\[0\] is not a valid plan/,
    );
  });
});
