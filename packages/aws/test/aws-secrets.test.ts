import "aws-sdk-client-mock-vitest/extend";
import {
  CreateSecretCommand,
  DecryptionFailure,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createAwsSecrets } from "../src/aws-secrets";

const secretsMock = mockClient(SecretsManagerClient);
const scope = { accountId: "222222222222", region: "eu-west-1" };
const arn = "arn:aws:secretsmanager:eu-west-1:222222222222:secret:orders-staging/master-AbCdEf";
const value = JSON.stringify({ username: "postgres", password: "s3cr3t-Value!" });
const meta = { message: "failed", $metadata: {} };

beforeEach(() => {
  secretsMock.reset();
});

describe("createAwsSecrets", () => {
  it("creates a secret under the given key with tags", async () => {
    secretsMock
      .on(CreateSecretCommand)
      .resolves({ ARN: arn, Name: "orders-staging/master", VersionId: "v1" });
    const created = await createAwsSecrets(scope).createSecret({
      name: "orders-staging/master",
      secretString: value,
      kmsKeyId: "alias/staging-secrets",
      tags: { app: "aurora-restore" },
    });
    expect(secretsMock).toHaveReceivedCommandExactlyOnceWith(CreateSecretCommand, {
      Name: "orders-staging/master",
      SecretString: value,
      KmsKeyId: "alias/staging-secrets",
      Tags: [{ Key: "app", Value: "aurora-restore" }],
    });
    expect(created).toEqual({ arn, name: "orders-staging/master", versionId: "v1" });
  });

  it("puts a new value", async () => {
    secretsMock
      .on(PutSecretValueCommand)
      .resolves({ ARN: arn, VersionId: "v2", VersionStages: ["AWSCURRENT"] });
    const put = await createAwsSecrets(scope).putSecretValue({ secretId: arn, secretString: value });
    expect(secretsMock).toHaveReceivedCommandExactlyOnceWith(PutSecretValueCommand, {
      SecretId: arn,
      SecretString: value,
    });
    // No VersionStages: Secrets Manager makes it AWSCURRENT and the previous current AWSPREVIOUS.
    expect(secretsMock.commandCalls(PutSecretValueCommand)[0]!.args[0].input).not.toHaveProperty(
      "VersionStages",
    );
    expect(put).toEqual({ arn, versionId: "v2" });
  });

  it("stages a new value with VersionStages (AWSPENDING), leaving AWSCURRENT to Secrets Manager", async () => {
    secretsMock
      .on(PutSecretValueCommand)
      .resolves({ ARN: arn, VersionId: "v3", VersionStages: ["AWSPENDING"] });
    const put = await createAwsSecrets(scope).putSecretValue({
      secretId: arn,
      secretString: value,
      versionStages: ["AWSPENDING"],
    });
    expect(secretsMock).toHaveReceivedCommandExactlyOnceWith(PutSecretValueCommand, {
      SecretId: arn,
      SecretString: value,
      VersionStages: ["AWSPENDING"],
    });
    expect(put).toEqual({ arn, versionId: "v3" });
  });

  it("moves and removes staging labels with UpdateSecretVersionStage", async () => {
    secretsMock.on(UpdateSecretVersionStageCommand).resolves({ ARN: arn, Name: "orders-staging/master" });
    const secrets = createAwsSecrets(scope);
    await secrets.updateSecretVersionStage({
      secretId: arn,
      versionStage: "AWSPENDING",
      removeFromVersionId: "v3",
    });
    await secrets.updateSecretVersionStage({
      secretId: arn,
      versionStage: "AWSCURRENT",
      moveToVersionId: "v3",
      removeFromVersionId: "v2",
    });
    const inputs = secretsMock.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([
      { SecretId: arn, VersionStage: "AWSPENDING", RemoveFromVersionId: "v3" },
      { SecretId: arn, VersionStage: "AWSCURRENT", MoveToVersionId: "v3", RemoveFromVersionId: "v2" },
    ]);
  });

  it("maps UpdateSecretVersionStage's refusal of a version that does not hold the label", async () => {
    secretsMock.on(UpdateSecretVersionStageCommand).rejects(
      new InvalidParameterException({
        message: "The staging label AWSPENDING is not attached to version v1.",
        $metadata: {},
      }),
    );
    await expect(
      createAwsSecrets(scope).updateSecretVersionStage({
        secretId: arn,
        versionStage: "AWSPENDING",
        removeFromVersionId: "v1",
      }),
    ).rejects.toMatchObject({ code: "InvalidParameterException", service: "secretsmanager" });
  });

  it("gets a value by stage", async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .resolves({ ARN: arn, Name: "orders-staging/master", VersionId: "v1", SecretString: value });
    const got = await createAwsSecrets(scope).getSecretValue({ secretId: arn, versionStage: "AWSPREVIOUS" });
    expect(secretsMock).toHaveReceivedCommandExactlyOnceWith(GetSecretValueCommand, {
      SecretId: arn,
      VersionStage: "AWSPREVIOUS",
    });
    expect(got).toEqual({ arn, name: "orders-staging/master", versionId: "v1", secretString: value });
  });

  it("refuses a binary secret instead of returning an empty string", async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .resolves({ ARN: arn, Name: "n", VersionId: "v1", SecretBinary: new Uint8Array([1, 2]) });
    await expect(createAwsSecrets(scope).getSecretValue({ secretId: arn })).rejects.toThrow(/binary value/);
  });

  it("describes versions and their stages", async () => {
    secretsMock.on(DescribeSecretCommand).resolves({
      ARN: arn,
      Name: "orders-staging/master",
      KmsKeyId: "alias/staging-secrets",
      VersionIdsToStages: { v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"] },
    });
    const description = await createAwsSecrets(scope).describeSecret(arn);
    expect(description).toEqual({
      arn,
      name: "orders-staging/master",
      kmsKeyId: "alias/staging-secrets",
      versions: { v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"] },
    });
  });

  it.each([
    ["ResourceNotFoundException", new ResourceNotFoundException(meta)],
    ["ResourceExistsException", new ResourceExistsException(meta)],
    ["InvalidRequestException", new InvalidRequestException(meta)],
    ["InvalidParameterException", new InvalidParameterException(meta)],
    ["DecryptionFailure", new DecryptionFailure(meta)],
  ])("maps %s", async (code, exception) => {
    secretsMock.on(GetSecretValueCommand).rejects(exception);
    await expect(createAwsSecrets(scope).getSecretValue({ secretId: arn })).rejects.toMatchObject({
      code,
      service: "secretsmanager",
    });
  });

  it("never puts the secret value into an error message", async () => {
    secretsMock
      .on(PutSecretValueCommand)
      .rejects(new InvalidParameterException({ message: `bad value ${value}`, $metadata: {} }));
    const error = await createAwsSecrets(scope)
      .putSecretValue({ secretId: arn, secretString: value })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "InvalidParameterException" });
    expect((error as Error).message).not.toContain("s3cr3t-Value!");
  });
});
