import { environmentNames, type Plan, requireArn, type StageDeclaration } from "@aurora-restore/core";
import { APP_NAME, deploymentNames } from "./names";

/** Lambda's copy of Amazon's CA bundle (not loaded by default since nodejs20.x): needed to verify RDS's TLS. */
export const LAMBDA_CA_BUNDLE = "/var/runtime/ca-cert.pem";

/** Lambda's limit on a function's environment: every key and value, in bytes. */
export const LAMBDA_ENVIRONMENT_LIMIT = 4096;

/** Where the plans are in every function's package (SST `copyFiles` puts them there). */
export const PLANS_FILE_NAME = "aurora-restore-plans.json";

export class EnvironmentTooLargeError extends Error {
  override name = "EnvironmentTooLargeError";
}

/**
 * The plans file a stage's functions ship with: `contents` is written to `from` (relative to the project
 * root, under SST's git-ignored work folder) when the stacks run, and `copyFiles` copies it to `to` in every
 * function's package. Plans therefore take no room in the environment, whatever their SQL.
 */
export function plansBundle(stage: string, plans: readonly Plan[]) {
  return {
    from: `.sst/aurora-restore/${stage}/${PLANS_FILE_NAME}`,
    to: PLANS_FILE_NAME,
    contents: JSON.stringify(plans),
  };
}

/**
 * What SST v4 adds to every function's environment (platform/src/components/aws/function.ts,
 * normalizeEnvironment), at its largest: SST_RESOURCE_App ({"name","stage"}), SST_KEY (a base64 AES-256
 * key) and SST_KEY_FILE always; under `sst dev` (live functions) also the AppSync endpoints, the function's
 * id, app, stage, region, asset bucket and timeout. Values SST computes at deploy time are counted at their
 * longest plausible length, so the check errs on the safe side.
 */
export function sstAddedEnvironment(input: { stage: string; dev: boolean }): Record<string, string> {
  const env: Record<string, string> = {
    SST_RESOURCE_App: JSON.stringify({ name: APP_NAME, stage: input.stage }),
    SST_KEY: "x".repeat(44),
    SST_KEY_FILE: "resource.enc",
  };
  if (input.dev) {
    Object.assign(env, {
      SST_REGION: "ap-southeast-5",
      SST_APPSYNC_HTTP: `${"x".repeat(26)}.appsync-api.ap-southeast-5.amazonaws.com`,
      SST_APPSYNC_REALTIME: `${"x".repeat(26)}.appsync-realtime-api.ap-southeast-5.amazonaws.com`,
      SST_FUNCTION_ID: "x".repeat(64),
      SST_APP: APP_NAME,
      SST_STAGE: input.stage,
      SST_ASSET_BUCKET: `sst-asset-${"x".repeat(40)}`,
      SST_FUNCTION_TIMEOUT: "900",
    });
  }
  return env;
}

/** The stage's dead-letter queue URL (its account, region and partition are the topic's: the deployment's own). */
export function deadLetterQueueUrl(
  stage: string,
  topicArn: string,
  stageName: StageDeclaration["name"],
): string {
  const { partition, region, accountId } = requireArn(topicArn, "the topic ARN");
  const domain = partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
  return `https://sqs.${region}.${domain}/${accountId}/${deploymentNames(stage).deadLetterQueue(stageName)}`;
}

export function functionEnvironment(input: {
  stage: string;
  topicArn: string;
  declaration: StageDeclaration;
  plans: readonly Plan[];
}): Record<string, string> {
  const names = deploymentNames(input.stage);
  const environment: Record<string, string> = {
    [environmentNames.stateTable]: names.stateTable,
    [environmentNames.auditTable]: names.auditTable,
    [environmentNames.busName]: names.bus,
    [environmentNames.topicArn]: input.topicArn,
    [environmentNames.plansFile]: plansBundle(input.stage, input.plans).to,
    [environmentNames.deadLetterQueueUrl]: deadLetterQueueUrl(
      input.stage,
      input.topicArn,
      input.declaration.name,
    ),
    ...(input.declaration.reachesDatabase ? { NODE_EXTRA_CA_CERTS: LAMBDA_CA_BUNDLE } : {}),
  };
  // Counted with what SST adds, under `sst dev` too (the largest case).
  const counted = { ...environment, ...sstAddedEnvironment({ stage: input.stage, dev: true }) };
  const size = Object.entries(counted).reduce(
    (total, [key, value]) => total + Buffer.byteLength(key) + Buffer.byteLength(value),
    0,
  );
  if (size > LAMBDA_ENVIRONMENT_LIMIT) {
    throw new EnvironmentTooLargeError(
      `The ${input.declaration.name} function's environment would be ${size} bytes with SST's own variables, ` +
        `over Lambda's ${LAMBDA_ENVIRONMENT_LIMIT}: shorten the stage name (${input.stage}).`,
    );
  }
  return environment;
}
