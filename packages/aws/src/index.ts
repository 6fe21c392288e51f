export type { AwsEventPublisherOptions, FailedEntry } from "./aws-events";
export { createAwsEventPublisher, PutEventsFailedError } from "./aws-events";
export { createAwsKms } from "./aws-kms";
export { createAwsRds } from "./aws-rds";
export { createAwsSecrets } from "./aws-secrets";
export { createAwsSns } from "./aws-sns";
export type {
  AssumeRoleProviderOptions,
  AwsAdapterOptions,
  AwsClientOptions,
  AwsClients,
  AwsCredentials,
  CredentialProvider,
} from "./clients";
export { createAssumeRoleProvider, createAwsClients } from "./clients";
export { normaliseErrorCode, toAwsCallError } from "./errors";
export type { PgDatabaseOptions } from "./postgres";
export { createPgDatabase, PostgresError } from "./postgres";
