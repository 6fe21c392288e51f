import { readFileSync } from "node:fs";
import { basename, isAbsolute, join } from "node:path";
import { createClientPool } from "@aurora-restore/aws/clients";
import type { StageName } from "@aurora-restore/core/events/shapes";
import { generatePassword } from "@aurora-restore/core/security/passwords";
import type { StageDeps } from "@aurora-restore/core/stages/kit/deps";
import { createAuditLog } from "@aurora-restore/core/storage/audit";
import { createDocumentClient } from "@aurora-restore/core/storage/client";
import { createOperationStore } from "@aurora-restore/core/storage/operations";
import { environmentNames } from "@aurora-restore/core/wiring/environment-names";
import { stageActor } from "@aurora-restore/core/wiring/stage-actor";
import type { OptionalStagePort } from "@aurora-restore/core/wiring/stage-declaration";
import type { AwsPortAdapter, SomeAwsPortAdapters } from "./aws-ports/port-adapter";
import { type OptionalPorts, refusingPort } from "./declared-deps";
import { parsePlanList, staticPlanSource } from "./plans";
import { powertoolsLogger, powertoolsMetrics } from "./powertools";

/**
 * The stage's plans: from the file the function's package carries (AURORA_RESTORE_PLANS_FILE, relative to
 * LAMBDA_TASK_ROOT: the stacks ship it with `copyFiles`), or as inline JSON (AURORA_RESTORE_PLANS, for a
 * handler run by hand).
 */
function plansFromEnvironment(env: Record<string, string | undefined>) {
  const file = env[environmentNames.plansFile]?.trim();
  if (!file) {
    if (env[environmentNames.plans] === undefined) {
      throw new Error(
        `${environmentNames.plansFile} is not set: set it to the plans file in the function's package ` +
          `(or ${environmentNames.plans} to a JSON array of plans)`,
      );
    }
    return parsePlanList(env[environmentNames.plans], environmentNames.plans);
  }
  const path = isAbsolute(file) ? file : join(env.LAMBDA_TASK_ROOT?.trim() || process.cwd(), file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(
      `${environmentNames.plansFile} names ${path}, which could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ` +
        "the stacks ship it with every function (copyFiles); deploy the stage again",
    );
  }
  return parsePlanList(text, basename(path));
}

const topicArnPattern = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):[\w-]+$/;

export interface AwsStageDepsOptions {
  /** The stage these deps act for: the logger's service name and the audit actor. */
  stage?: StageName;
  /**
   * The adapters of the optional ports (EventBridge, RDS, KMS, Secrets Manager, SNS, PostgreSQL) to build: a handler
   * gives those of its stage's declared ports, so its bundle holds no other. The others refuse to be used.
   */
  ports?: SomeAwsPortAdapters;
  clock?: () => Date;
}

/**
 * Builds StageDeps over the AWS adapters from the function's environment. Every missing or invalid variable
 * is reported at once, naming the variable and the fix. Nothing here calls AWS: clients are created on use.
 */
export function awsStageDeps(
  env: Record<string, string | undefined> = process.env,
  options: AwsStageDepsOptions = {},
): StageDeps {
  const problems: string[] = [];
  const required = (name: string, what: string): string => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is not set: set it to ${what}`);
    return value ?? "";
  };
  const stateTable = required(environmentNames.stateTable, "the name of the state DynamoDB table");
  const auditTable = required(environmentNames.auditTable, "the name of the audit DynamoDB table");
  const busName = required(environmentNames.busName, "the name (or ARN) of the pipeline's event bus");
  const topicArn = required(environmentNames.topicArn, "the ARN of the notification SNS topic");
  const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || "";
  if (!region)
    problems.push("AWS_REGION is not set: Lambda sets it; elsewhere set it to the pipeline's region");
  const topic = topicArn ? topicArnPattern.exec(topicArn) : null;
  if (topicArn && !topic) {
    problems.push(
      `${environmentNames.topicArn} is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>): "${topicArn}"`,
    );
  }
  let plans: ReturnType<typeof parsePlanList> = [];
  try {
    plans = plansFromEnvironment(env);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (problems.length > 0) {
    throw new Error(`The function's environment is incomplete:\n  - ${problems.join("\n  - ")}`);
  }

  const actor = stageActor(options.stage ?? "trigger");
  const self = { accountId: topic?.[2] ?? "", region };
  const pool = createClientPool({ roleSessionName: actor });
  const documents = createDocumentClient({ region });
  const context = { pool, self, busName, plans };
  const port = <P extends OptionalStagePort>(name: P): OptionalPorts[P] => {
    const adapter = options.ports?.[name] as AwsPortAdapter<P> | undefined;
    return adapter
      ? adapter(context)
      : refusingPort(
          name,
          `no ${name} adapter was built for this function: its stage does not declare the port`,
        );
  };

  return {
    store: createOperationStore(documents, stateTable),
    audit: createAuditLog(documents, auditTable),
    plans: staticPlanSource(plans),
    publisher: port("publisher"),
    rds: port("rds"),
    kms: port("kms"),
    secrets: port("secrets"),
    notifications: port("notifications"),
    database: port("database"),
    busName,
    topicArn,
    actor: env.AWS_LAMBDA_FUNCTION_NAME ? `${actor} (${env.AWS_LAMBDA_FUNCTION_NAME})` : actor,
    clock: options.clock ?? (() => new Date()),
    generatePassword: () => generatePassword(),
    logger: powertoolsLogger(actor),
    metrics: powertoolsMetrics(actor),
  };
}
