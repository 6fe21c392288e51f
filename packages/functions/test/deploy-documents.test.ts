import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readDeployConfig, resolveDeployment } from "@aurora-restore/functions/shared/deploy/config";
import {
  defaultBusPermissions,
  defaultBusPolicy,
  deploymentOf,
  sourceAccountIdsOf,
  sourceKeyPolicyStatements,
  stageResourcePolicies,
} from "@aurora-restore/functions/shared/deploy/policy-documents";
import { describe, expect, it } from "vitest";
import { exampleConfigPath, repositoryRoot } from "./support/deployment-fixtures";

/** The documents the README shows people are the ones the code deploys and the IAM simulation evaluates. */
describe("deploy documents", () => {
  it("the README's source key policy statements are the ones the code asks for", () => {
    const readme = readFileSync(join(repositoryRoot, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### The source account's key policy"));
    const json = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
    expect(json, "a JSON block in the README's key policy section").toBeDefined();
    expect(JSON.parse(json ?? "[]")).toEqual(sourceKeyPolicyStatements("aws", "222222222222"));
  });

  it("the default bus accepts PutEvents from each plan's other source account, one statement each", () => {
    const config = readDeployConfig(exampleConfigPath);
    const stage = resolveDeployment(config, "production", exampleConfigPath);
    expect(sourceAccountIdsOf(stage)).toEqual(["111111111111"]);
    const policy = defaultBusPolicy(
      deploymentOf(stage),
      defaultBusPermissions("production", ["111111111111"]),
    );
    expect(policy.Statement).toEqual([
      {
        Sid: "aurora-restore-production-111111111111",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::111111111111:root" },
        Action: "events:PutEvents",
        Resource: "arn:aws:events:eu-west-1:222222222222:event-bus/default",
      },
    ]);
    expect(stageResourcePolicies(stage).map((p) => p.name)).toEqual(["stage-key", "default-bus"]);
  });
});
