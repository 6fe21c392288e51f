import { createDocumentClient } from "@aurora-restore/core/storage/client";
import { EventBridgeClient, type EventBridgeClientConfig } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { STSClient } from "@aws-sdk/client-sts";
import type { StageAddress } from "./stage-address";

/** What every client shares; tests add a request handler or static credentials. */
export type SharedClientConfig = Pick<
  EventBridgeClientConfig,
  "region" | "profile" | "retryMode" | "maxAttempts" | "credentials" | "requestHandler"
>;

/**
 * The SDK clients of one deployed stage, in its region, with --profile's credentials (the client's
 * `profile` setting: the same as AWS_PROFILE, without changing the environment). Adaptive retries with 5
 * attempts: throttling (ThrottlingException, "Rate exceeded") is retried with back-off before a command
 * reports it.
 */
export function createAwsClients(address: StageAddress, extra: Partial<SharedClientConfig> = {}) {
  const config: SharedClientConfig = {
    region: address.region,
    ...(address.profile ? { profile: address.profile } : {}),
    retryMode: "adaptive",
    maxAttempts: 5,
    ...extra,
  };
  const clients = {
    documents: createDocumentClient(config),
    eventBridge: new EventBridgeClient(config),
    sqs: new SQSClient(config),
    sts: new STSClient(config),
  };
  return {
    ...clients,
    /** Closes the clients' connections so the process can end. */
    destroy() {
      for (const client of [clients.eventBridge, clients.sqs, clients.sts]) client.destroy();
      // lib-dynamodb's destroy leaves the DynamoDB client it wraps open; they share the request handler.
      (clients.documents.config.requestHandler as { destroy?(): void } | undefined)?.destroy?.();
    },
  };
}

export type AwsClients = ReturnType<typeof createAwsClients>;
