import { readFileSync } from "node:fs";
import { basename, isAbsolute, join } from "node:path";
import {
  createAwsClients,
  createAwsEventPublisher,
  createAwsKms,
  createAwsRds,
  createAwsSecrets,
  createAwsSns,
  createPgDatabase,
} from "@aurora-restore/aws";
import {
  createAuditLog,
  createDocumentClient,
  createOperationStore,
  type StageDeps,
  type StageName,
} from "@aurora-restore/core";
import { databaseTimeouts } from "../shared/deploy/function-settings";
import { secretKeyFor, withSecretKeys } from "../shared/secret-keys";
import { generatePassword } from "./passwords";
import { parsePlanList, staticPlanSource } from "./plans";
import { powertoolsLogger, powertoolsMetrics } from "./powertools";

/** The environment every function is deployed with (the stacks set these). */
export const stageEnvironment = {
  stateTable: "AURORA_RESTORE_STATE_TABLE",
  auditTable: "AURORA_RESTORE_AUDIT_TABLE",
  busName: "AURORA_RESTORE_BUS_NAME",
  topicArn: "AURORA_RESTORE_TOPIC_ARN",
  plans: "AURORA_RESTORE_PLANS",
  plansFile: "AURORA_RESTORE_PLANS_FILE",
  deadLetterQueueUrl: "AURORA_RESTORE_DEAD_LETTER_QUEUE_URL",
} as const;

/**
 * The stage's plans: from the file the function's package carries (AURORA_RESTORE_PLANS_FILE, relative to
 * LAMBDA_TASK_ROOT: the stacks ship it with `copyFiles`), or as inline JSON (AURORA_RESTORE_PLANS, for a
 * handler run by hand).
 */
function plansFromEnvironment(env: Record<string, string | undefined>) {
  const file = env[stageEnvironment.plansFile]?.trim();
  if (!file) {
    if (env[stageEnvironment.plans] === undefined) {
      throw new Error(
        `${stageEnvironment.plansFile} is not set: set it to the plans file in the function's package ` +
          `(or ${stageEnvironment.plans} to a JSON array of plans)`,
      );
    }
    return parsePlanList(env[stageEnvironment.plans], stageEnvironment.plans);
  }
  const path = isAbsolute(file) ? file : join(env.LAMBDA_TASK_ROOT?.trim() || process.cwd(), file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(
      `${stageEnvironment.plansFile} names ${path}, which could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ` +
        "the stacks ship it with every function (copyFiles); deploy the stage again",
    );
  }
  return parsePlanList(text, basename(path));
}

const topicArnPattern = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):[\w-]+$/;

export interface AwsStageDepsOptions {
  /** The service these deps act for: the logger's service name and the audit actor. */
  service?: StageName;
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
  const stateTable = required(stageEnvironment.stateTable, "the name of the state DynamoDB table");
  const auditTable = required(stageEnvironment.auditTable, "the name of the audit DynamoDB table");
  const busName = required(stageEnvironment.busName, "the name (or ARN) of the pipeline's event bus");
  const topicArn = required(stageEnvironment.topicArn, "the ARN of the notification SNS topic");
  const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || "";
  if (!region)
    problems.push("AWS_REGION is not set: Lambda sets it; elsewhere set it to the pipeline's region");
  const topic = topicArn ? topicArnPattern.exec(topicArn) : null;
  if (topicArn && !topic) {
    problems.push(
      `${stageEnvironment.topicArn} is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>): "${topicArn}"`,
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

  const service = options.service ?? "trigger";
  const serviceName = `aurora-restore-${service}`;
  const self = { accountId: topic?.[2] ?? "", region };
  const clients = createAwsClients({ roleSessionName: serviceName });
  const documents = createDocumentClient({ region });

  return {
    store: createOperationStore(documents, stateTable),
    audit: createAuditLog(documents, auditTable),
    publisher: createAwsEventPublisher(self, { clients, eventBusName: busName }),
    plans: staticPlanSource(plans),
    rds: (scope) => createAwsRds(scope, { clients }),
    kms: (scope) => createAwsKms(scope, { clients }),
    // PCI and HIPAA plans' secrets are created under the target's key (shared/secret-keys.ts).
    secrets: (scope) => withSecretKeys(createAwsSecrets(scope, { clients }), secretKeyFor(plans, scope)),
    notifications: createAwsSns(self, { clients }),
    // Every statement has a statement_timeout, and a session's statements together stay inside the function's
    // timeout (shared/deploy/function-settings.ts).
    database: createPgDatabase({
      connectTimeoutMs: databaseTimeouts.connectMs,
      statementTimeoutMs: databaseTimeouts.statementMs,
      sessionBudgetMs: databaseTimeouts.sessionBudgetMs,
    }),
    busName,
    topicArn,
    actor: env.AWS_LAMBDA_FUNCTION_NAME ? `${serviceName} (${env.AWS_LAMBDA_FUNCTION_NAME})` : serviceName,
    clock: options.clock ?? (() => new Date()),
    generatePassword: () => generatePassword(),
    logger: powertoolsLogger(serviceName),
    metrics: powertoolsMetrics(serviceName),
  };
}
