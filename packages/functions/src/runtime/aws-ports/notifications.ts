import { createAwsSns } from "@aurora-restore/aws/aws-sns";
import type { AwsPortAdapter } from "./port-adapter";

/** SNS publishing from the function's own account (each topic in its own region). */
export const awsNotificationsPort: AwsPortAdapter<"notifications"> = ({ pool, self }) =>
  createAwsSns(self, { pool });
