import type { AccessScope, AccountRegion, SecretsPort } from "@aurora-restore/core/ports/index";
import { AwsCallError } from "@aurora-restore/core/ports/index";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { type AwsAdapterOptions, type AwsClients, type ClientPool, poolFrom } from "./clients";
import { type CallContext, callAws } from "./errors";
import { omitUndefined, toTags } from "./sdk-shapes";

/** Secrets Manager clients from a pool: one per account, region and role. */
export function secretsManagerClients(pool: ClientPool): AwsClients["secretsManager"] {
  return (scope) => pool.client("secretsmanager", scope, (config) => new SecretsManagerClient(config));
}

/** Secrets Manager over the AWS SDK. Secret values never reach an error message. */
export function createAwsSecrets(
  scope: AccessScope,
  options: AwsAdapterOptions<"secretsManager"> = {},
): SecretsPort {
  const clients = options.clients ?? { secretsManager: secretsManagerClients(poolFrom(options)) };
  const location: AccountRegion = { accountId: scope.accountId, region: scope.region };
  const ctx = (operation: string, resource: string, secrets?: string[]): CallContext => ({
    service: "secretsmanager",
    operation,
    resource,
    location,
    ...(secrets ? { secrets } : {}),
  });
  const incomplete = (operation: string, secretId: string, field: string) =>
    new AwsCallError("UnknownError", `${operation} ${secretId} returned no ${field}.`, "secretsmanager");

  return {
    location,

    async createSecret(input) {
      const client = clients.secretsManager(scope);
      const out = await callAws(ctx("CreateSecret", input.name, [input.secretString]), () =>
        client.send(
          new CreateSecretCommand(
            omitUndefined({
              Name: input.name,
              SecretString: input.secretString,
              KmsKeyId: input.kmsKeyId,
              Description: input.description,
              Tags: toTags(input.tags),
              ClientRequestToken: input.clientRequestToken,
            }),
          ),
        ),
      );
      if (!out.ARN || !out.VersionId) throw incomplete("CreateSecret", input.name, "ARN or VersionId");
      return { arn: out.ARN, name: out.Name ?? input.name, versionId: out.VersionId };
    },

    async putSecretValue({ secretId, secretString, versionStages, clientRequestToken }) {
      const client = clients.secretsManager(scope);
      const out = await callAws(ctx("PutSecretValue", secretId, [secretString]), () =>
        client.send(
          new PutSecretValueCommand(
            omitUndefined({
              SecretId: secretId,
              SecretString: secretString,
              VersionStages: versionStages,
              ClientRequestToken: clientRequestToken,
            }),
          ),
        ),
      );
      if (!out.ARN || !out.VersionId) throw incomplete("PutSecretValue", secretId, "ARN or VersionId");
      return { arn: out.ARN, versionId: out.VersionId };
    },

    async getSecretValue({ secretId, versionStage, versionId }) {
      const client = clients.secretsManager(scope);
      const out = await callAws(ctx("GetSecretValue", secretId), () =>
        client.send(
          new GetSecretValueCommand(
            omitUndefined({ SecretId: secretId, VersionStage: versionStage, VersionId: versionId }),
          ),
        ),
      );
      if (out.SecretString === undefined) {
        throw new AwsCallError(
          "InvalidRequestException",
          `GetSecretValue ${secretId}: the secret holds a binary value; the pipeline stores secrets as strings`,
          "secretsmanager",
        );
      }
      if (!out.ARN || !out.Name || !out.VersionId)
        throw incomplete("GetSecretValue", secretId, "ARN, Name or VersionId");
      return { arn: out.ARN, name: out.Name, versionId: out.VersionId, secretString: out.SecretString };
    },

    async describeSecret(secretId) {
      const client = clients.secretsManager(scope);
      const out = await callAws(ctx("DescribeSecret", secretId), () =>
        client.send(new DescribeSecretCommand({ SecretId: secretId })),
      );
      if (!out.ARN || !out.Name) throw incomplete("DescribeSecret", secretId, "ARN or Name");
      return omitUndefined({
        arn: out.ARN,
        name: out.Name,
        kmsKeyId: out.KmsKeyId,
        description: out.Description,
        versions: out.VersionIdsToStages ?? {},
      });
    },

    async updateSecretVersionStage({ secretId, versionStage, moveToVersionId, removeFromVersionId }) {
      const client = clients.secretsManager(scope);
      await callAws(ctx("UpdateSecretVersionStage", secretId), () =>
        client.send(
          new UpdateSecretVersionStageCommand(
            omitUndefined({
              SecretId: secretId,
              VersionStage: versionStage,
              MoveToVersionId: moveToVersionId,
              RemoveFromVersionId: removeFromVersionId,
            }),
          ),
        ),
      );
    },
  };
}
