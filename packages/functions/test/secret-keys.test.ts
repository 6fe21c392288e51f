import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { awsStageDeps } from "../src/runtime/aws-deps";
import { awsSecretsPort } from "../src/runtime/aws-ports/secrets";
import { examplePlan, sameAccountPlan } from "./support/deployment-fixtures";

/**
 * The secrets the pipeline creates are encrypted with the target's key when the plan's compliance profile
 * asks for a customer managed key (pci, hipaa), as the README says; otherwise with aws/secretsmanager
 * (issue 10, item 11). Checked through the deps a deployed function builds from its environment.
 */

const secretsMock = mockClient(SecretsManagerClient);
const scope = { accountId: "222222222222", region: "eu-west-1" };

function deps() {
  return awsStageDeps(
    {
      AURORA_RESTORE_STATE_TABLE: "aurora-restore-production-state",
      AURORA_RESTORE_AUDIT_TABLE: "aurora-restore-production-audit",
      AURORA_RESTORE_BUS_NAME: "aurora-restore-production",
      AURORA_RESTORE_TOPIC_ARN: "arn:aws:sns:eu-west-1:222222222222:aurora-restore-production-notifications",
      AURORA_RESTORE_PLANS: JSON.stringify([examplePlan(), sameAccountPlan()]),
      AWS_REGION: "eu-west-1",
    },
    { ports: { secrets: awsSecretsPort } },
  );
}

beforeEach(() => {
  secretsMock.reset();
  secretsMock.on(CreateSecretCommand).callsFake((input) => ({
    ARN: `arn:aws:secretsmanager:eu-west-1:222222222222:secret:${input.Name}-AbCdEf`,
    Name: input.Name,
    VersionId: "v1",
  }));
});
afterAll(() => secretsMock.restore());

describe("the key of the secrets the pipeline creates (issue 10, item 11)", () => {
  it("is the target's key for a plan whose compliance profile asks for a customer managed key", async () => {
    const plan = examplePlan();
    expect(plan.compliance).toBe("pci");
    const target = plan.targets[0]!;
    for (const name of [target.masterSecretName, ...target.applicationUsers.map((u) => u.secretName)]) {
      await deps().secrets(scope).createSecret({ name, secretString: "{}" });
    }
    const created = secretsMock.commandCalls(CreateSecretCommand).map((c) => c.args[0].input);
    expect(created.map((c) => c.KmsKeyId)).toEqual([target.kmsKeyId, target.kmsKeyId]);
  });

  it("is aws/secretsmanager (no KmsKeyId) for a default plan, and the caller's choice when it names one", async () => {
    const target = sameAccountPlan().targets[1]!;
    await deps().secrets(scope).createSecret({ name: target.masterSecretName, secretString: "{}" });
    await deps().secrets(scope).createSecret({
      name: examplePlan().targets[0]!.masterSecretName,
      secretString: "{}",
      kmsKeyId: "alias/other",
    });
    const created = secretsMock.commandCalls(CreateSecretCommand).map((c) => c.args[0].input);
    expect(created[0]).not.toHaveProperty("KmsKeyId");
    expect(created[1]?.KmsKeyId).toBe("alias/other");
  });
});
