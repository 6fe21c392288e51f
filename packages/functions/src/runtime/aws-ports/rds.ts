import { createAwsRds } from "@aurora-restore/aws/aws-rds";
import type { AwsPortAdapter } from "./port-adapter";

/** The RDS port over the SDK's RDS client, per account, region and role. */
export const awsRdsPort: AwsPortAdapter<"rds"> =
  ({ pool }) =>
  (scope) =>
    createAwsRds(scope, { pool });
