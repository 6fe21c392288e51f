export { createAwsClients } from "./all-clients";
export type { AwsEventPublisherOptions, FailedEntry } from "./aws-events";
export { createAwsEventPublisher, eventBridgeClients, PutEventsFailedError } from "./aws-events";
export { createAwsKms, kmsClients } from "./aws-kms";
export { createAwsRds, rdsClients } from "./aws-rds";
export { createAwsSecrets, secretsManagerClients } from "./aws-secrets";
export { createAwsSns, snsClients } from "./aws-sns";
export type {
  AssumeRoleProviderOptions,
  AwsAdapterOptions,
  AwsClientOptions,
  AwsClients,
  AwsCredentials,
  ClientConfig,
  ClientPool,
  CredentialProvider,
} from "./clients";
export { createAssumeRoleProvider, createClientPool } from "./clients";
export { normaliseErrorCode, toAwsCallError } from "./errors";
export type { PgDatabaseOptions } from "./postgres";
export { createPgDatabase, PostgresError } from "./postgres";
