import { createAwsEventPublisher } from "@aurora-restore/aws/aws-events";
import type { AwsPortAdapter } from "./port-adapter";

/** EventBridge PutEvents to the pipeline's bus, from the function's own account and region. */
export const awsPublisherPort: AwsPortAdapter<"publisher"> = ({ pool, self, busName }) =>
  createAwsEventPublisher(self, { pool, eventBusName: busName });
