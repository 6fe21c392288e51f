import { eventBridgeClients } from "./aws-events";
import { kmsClients } from "./aws-kms";
import { rdsClients } from "./aws-rds";
import { secretsManagerClients } from "./aws-secrets";
import { snsClients } from "./aws-sns";
import { type AwsClientOptions, type AwsClients, createClientPool } from "./clients";

/**
 * Every SDK client the adapters use, over one pool (the CLI, tests). A Lambda function gives its adapters a
 * pool instead, so its bundle holds only the clients of the ports its stage declares.
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const pool = createClientPool(options);
  return {
    rds: rdsClients(pool),
    kms: kmsClients(pool),
    secretsManager: secretsManagerClients(pool),
    sns: snsClients(pool),
    eventBridge: eventBridgeClients(pool),
  };
}
