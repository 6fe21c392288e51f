import type { Plan, ServiceDeclaration } from "@aurora-restore/core";
import { deploymentNames } from "./names";

/**
 * What every function is told through its environment (documented in .env.example). The handlers read
 * these when called (packages/functions/src/runtime/aws-deps.ts, same names: a test compares them), never
 * SST's linked resources, so the same code runs in Lambda, under `sst dev` and locally.
 */
export const environmentNames = {
  stateTable: "AURORA_RESTORE_STATE_TABLE",
  auditTable: "AURORA_RESTORE_AUDIT_TABLE",
  busName: "AURORA_RESTORE_BUS_NAME",
  topicArn: "AURORA_RESTORE_TOPIC_ARN",
  plans: "AURORA_RESTORE_PLANS",
} as const;

/** Lambda's copy of Amazon's CA bundle (not loaded by default since nodejs20.x): needed to verify RDS's TLS. */
export const LAMBDA_CA_BUNDLE = "/var/runtime/ca-cert.pem";

/** Lambda's limit on a function's environment: every key and value, in bytes. */
export const LAMBDA_ENVIRONMENT_LIMIT = 4096;

export class EnvironmentTooLargeError extends Error {
  override name = "EnvironmentTooLargeError";
}

export function functionEnvironment(input: {
  stage: string;
  topicArn: string;
  service: ServiceDeclaration;
  plans: readonly Plan[];
}): Record<string, string> {
  const names = deploymentNames(input.stage);
  const environment: Record<string, string> = {
    [environmentNames.stateTable]: names.stateTable,
    [environmentNames.auditTable]: names.auditTable,
    [environmentNames.busName]: names.bus,
    [environmentNames.topicArn]: input.topicArn,
    [environmentNames.plans]: JSON.stringify(input.plans),
    ...(input.service.reachesDatabase ? { NODE_EXTRA_CA_CERTS: LAMBDA_CA_BUNDLE } : {}),
  };
  const size = Object.entries(environment).reduce(
    (total, [key, value]) => total + Buffer.byteLength(key) + Buffer.byteLength(value),
    0,
  );
  if (size > LAMBDA_ENVIRONMENT_LIMIT) {
    throw new EnvironmentTooLargeError(
      `The ${input.service.name} function's environment would be ${size} bytes, over Lambda's ` +
        `${LAMBDA_ENVIRONMENT_LIMIT}: the plans of stage ${input.stage} are too large to pass in ` +
        `${environmentNames.plans}. Split them across stages, or shorten their post-restore SQL and checks.`,
    );
  }
  return environment;
}
