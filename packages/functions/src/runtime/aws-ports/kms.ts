import { createAwsKms } from "@aurora-restore/aws/aws-kms";
import type { AwsPortAdapter } from "./port-adapter";

/** The KMS port over the SDK's KMS client, per account, region and role. */
export const awsKmsPort: AwsPortAdapter<"kms"> =
  ({ pool }) =>
  (scope) =>
    createAwsKms(scope, { pool });
