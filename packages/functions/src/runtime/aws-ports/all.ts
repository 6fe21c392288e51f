import { awsDatabasePort } from "./database";
import { awsKmsPort } from "./kms";
import { awsNotificationsPort } from "./notifications";
import type { SomeAwsPortAdapters } from "./port-adapter";
import { awsPublisherPort } from "./publisher";
import { awsRdsPort } from "./rds";
import { awsSecretsPort } from "./secrets";

/** Every port's AWS adapter: for tests and tools that act as any stage (a handler names only its own). */
export const allAwsPorts = {
  publisher: awsPublisherPort,
  rds: awsRdsPort,
  kms: awsKmsPort,
  secrets: awsSecretsPort,
  notifications: awsNotificationsPort,
  database: awsDatabasePort,
} satisfies Required<SomeAwsPortAdapters>;
