import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { accountId, describeIssues, type Plan, parsePlanJson, region } from "@aurora-restore/core";
import * as z from "zod";
import { deploymentNames, MAX_STAGE_LENGTH, roleArn } from "./names";

/**
 * The deployment configuration: which stages exist, in which account and region, and which plans each
 * deploys. One JSON file (AURORA_RESTORE_DEPLOY_CONFIG, default deploy/aurora-restore.json), validated
 * here before anything is created; plan files are validated with the plan schema.
 */

export const DEPLOY_CONFIG_ENV = "AURORA_RESTORE_DEPLOY_CONFIG";
export const DEFAULT_DEPLOY_CONFIG = "deploy/aurora-restore.json";

const stageName = z
  .string()
  .regex(
    new RegExp(`^[a-z][a-z0-9-]{0,${MAX_STAGE_LENGTH - 1}}$`),
    `a stage name: lower-case letters, digits and hyphens, at most ${MAX_STAGE_LENGTH}, starting with a letter`,
  );

const common = {
  accountId,
  region,
  partition: z.enum(["aws", "aws-cn", "aws-us-gov"]).default("aws"),
  /** Production stages keep their tables and data on removal and turn on deletion protection. */
  production: z.boolean().default(false),
  /** Plan files (JSON, see the plan schema), relative to this config file. */
  plans: z.array(z.string().min(1)).min(1, "list at least one plan file"),
};

const targetDeploymentSchema = z.strictObject({
  kind: z.literal("target"),
  ...common,
  /** Days the archives (the pipeline bus's events, the RDS events) keep events for replay; 0 keeps them forever. */
  archiveRetentionDays: z.number().int().min(0).default(30),
  /** EventBridge delivery to each function: retries of the hand-off, then the dead-letter queue. */
  delivery: z
    .strictObject({
      maximumRetryAttempts: z.number().int().min(0).max(185).default(185),
      maximumEventAgeSeconds: z.number().int().min(60).max(86_400).default(86_400),
    })
    .default({ maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 }),
  /**
   * Where the functions that reach the database run. Omit it to use the plans' subnet group and
   * security groups (all targets must then share one subnet group).
   */
  databaseNetwork: z
    .strictObject({
      subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, "a subnet id (subnet-...)")).min(1),
      securityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]+$/, "a security group id (sg-...)")).min(1),
    })
    .optional(),
  /** Lambda runtime: nodejs20.x is deprecated in Lambda. */
  runtime: z.enum(["nodejs22.x", "nodejs24.x"]).default("nodejs22.x"),
  /** An address subscribed to the notifications topic (alarms and operation summaries). */
  alarmEmail: z.email().optional(),
});

const sourceDeploymentSchema = z.strictObject({
  kind: z.literal("source"),
  ...common,
  /** The target stage whose pipeline reads this account's snapshots. */
  target: z.strictObject({ stage: stageName, accountId, region }),
});

const deployConfigSchema = z.strictObject({
  stages: z
    .record(z.string(), z.discriminatedUnion("kind", [targetDeploymentSchema, sourceDeploymentSchema]))
    .superRefine((stages, ctx) => {
      if (Object.keys(stages).length === 0)
        ctx.addIssue({ code: "custom", message: "declare at least one stage" });
      for (const name of Object.keys(stages)) {
        const checked = stageName.safeParse(name);
        if (!checked.success) {
          ctx.addIssue({
            code: "custom",
            path: [name],
            message: checked.error.issues[0]?.message ?? "invalid",
          });
        }
      }
    }),
});

export type DeployConfig = z.output<typeof deployConfigSchema>;
export type TargetDeploymentConfig = z.output<typeof targetDeploymentSchema>;
export type SourceDeploymentConfig = z.output<typeof sourceDeploymentSchema>;

export type ResolvedDeployment =
  | (TargetDeploymentConfig & { stage: string; planList: Plan[] })
  | (SourceDeploymentConfig & { stage: string; planList: Plan[] });

export class DeployConfigError extends Error {
  override name = "DeployConfigError";
  constructor(
    message: string,
    /** The fields to fix, when the error comes from the configuration's schema. */
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

export function deployConfigPath(env: Record<string, string | undefined>, cwd: string): string {
  return resolve(cwd, env[DEPLOY_CONFIG_ENV] || DEFAULT_DEPLOY_CONFIG);
}

export function parseDeployConfig(text: string, origin: string): DeployConfig {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new DeployConfigError(`${origin} is not valid JSON (${(error as Error).message})`);
  }
  const result = deployConfigSchema.safeParse(data);
  if (!result.success) {
    const issues = describeIssues(result.error);
    const lines = issues.map((issue) => `  - ${issue.path}: ${issue.message}`);
    throw new DeployConfigError(
      `${origin} is not a valid deploy configuration:\n${lines.join("\n")}`,
      issues,
    );
  }
  return result.data;
}

export function readDeployConfig(path: string): DeployConfig {
  if (!existsSync(path)) {
    throw new DeployConfigError(
      `No deploy configuration at ${path}: copy deploy/aurora-restore.example.json to ${DEFAULT_DEPLOY_CONFIG} ` +
        `and fill in your accounts, or point ${DEPLOY_CONFIG_ENV} at your file.`,
    );
  }
  return parseDeployConfig(readFileSync(path, "utf8"), path);
}

/** One stage of the configuration with its plan files read and validated, and cross-checked. */
export function resolveDeployment(
  config: DeployConfig,
  stage: string,
  configPath: string,
): ResolvedDeployment {
  const stageConfig = stageOf(config, stage, configPath);
  const base = dirname(configPath);
  const planList = stageConfig.plans.map((file) => {
    const path = resolve(base, file);
    if (!existsSync(path)) {
      throw new DeployConfigError(`Stage "${stage}" lists plan ${file}, but ${path} does not exist.`);
    }
    return parsePlanJson(readFileSync(path, "utf8"), path);
  });
  return resolveDeploymentWithPlans(config, stage, planList, configPath);
}

function stageOf(config: DeployConfig, stage: string, configPath: string) {
  const stageConfig = config.stages[stage];
  if (!stageConfig) {
    throw new DeployConfigError(
      `Stage "${stage}" is not in ${configPath}; it declares: ${Object.keys(config.stages).join(", ")}. ` +
        "Add it under stages, or deploy one of those with --stage.",
    );
  }
  return stageConfig;
}

/** A stage with its plans already validated (tests build plans in memory): the same cross-checks. */
export function resolveDeploymentWithPlans(
  config: DeployConfig,
  stage: string,
  planList: Plan[],
  configPath: string,
): ResolvedDeployment {
  const resolved = { ...stageOf(config, stage, configPath), stage, planList } as ResolvedDeployment;
  const problems = deploymentProblems(resolved);
  if (problems.length > 0) {
    throw new DeployConfigError(
      `Stage "${stage}" in ${configPath} cannot be deployed:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join("\n")}`,
    );
  }
  return resolved;
}

/** A problem of a resolved stage: the field to fix (from the configuration's root) and what is wrong. */
export interface DeploymentProblem {
  path: string;
  message: string;
}

/** Everything that stops a resolved stage from deploying (empty when it can deploy). */
export function deploymentProblems(stage: ResolvedDeployment): DeploymentProblem[] {
  return stage.kind === "target" ? targetProblems(stage) : sourceProblems(stage);
}

/** Where plan `index` of a stage is, for a problem's path: `stages.<stage>.plans[<i>] (<plan id>)`. */
function planPath(stage: ResolvedDeployment, index: number): string {
  return `stages.${stage.stage}.plans[${index}] (${stage.planList[index]?.id})`;
}

/**
 * A plan alone: the pipeline runs in its targets' account, so a source in another account is reached
 * through source.roleArn (the role a source stage creates there). `plan validate` and `deploy validate`
 * both apply it; a target stage also checks it against its own account.
 */
export function planCrossAccountProblems(plan: Plan): DeploymentProblem[] {
  if (plan.source.roleArn) return [];
  const elsewhere = [...new Set(plan.targets.map((t) => t.accountId))].filter(
    (id) => id !== plan.source.accountId,
  );
  if (elsewhere.length === 0) return [];
  return [
    {
      path: "source.roleArn",
      message:
        `the source is in account ${plan.source.accountId} but targets are in ${elsewhere.join(", ")}: set it to the ` +
        `role a source stage creates there (arn:aws:iam::${plan.source.accountId}:role/aurora-restore-<source stage>-source-access; README, Deploy to AWS)`,
    },
  ];
}

function targetProblems(stage: ResolvedDeployment & { kind: "target" }): DeploymentProblem[] {
  const problems: DeploymentProblem[] = [];
  const ids = stage.planList.map((plan) => plan.id);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) {
    problems.push({
      path: `stages.${stage.stage}.plans`,
      message: `plan id ${duplicate} appears twice: plan ids must be unique`,
    });
  }
  stage.planList.forEach((plan, p) => {
    plan.targets.forEach((target, i) => {
      if (target.accountId !== stage.accountId || target.region !== stage.region) {
        problems.push({
          path: `${planPath(stage, p)} targets[${i}]`,
          message:
            `${target.accountId}/${target.region}, but the pipeline runs in ${stage.accountId}/${stage.region} ` +
            "and must reach the database: deploy a target stage there",
        });
      }
    });
    const sameAccount = plan.source.accountId === stage.accountId;
    if (!sameAccount && !plan.source.roleArn) {
      problems.push({
        path: `${planPath(stage, p)} source.roleArn`,
        message:
          `the source is in account ${plan.source.accountId}; set source.roleArn to the role a source stage ` +
          "creates there (see README, Deploy to AWS)",
      });
    }
  });
  return problems;
}

function sourceProblems(stage: ResolvedDeployment & { kind: "source" }): DeploymentProblem[] {
  const accessRole = roleArn(stage, deploymentNames(stage.stage).sourceAccessRole);
  return stage.planList.flatMap((plan, p) => {
    const problems: DeploymentProblem[] = [];
    if (plan.source.accountId !== stage.accountId || plan.source.region !== stage.region) {
      problems.push({
        path: `${planPath(stage, p)} source`,
        message:
          `in ${plan.source.accountId}/${plan.source.region}, not in this stage's ${stage.accountId}/${stage.region}: ` +
          "list it in the source stage of that account and region",
      });
    }
    if (plan.source.roleArn && plan.source.roleArn !== accessRole) {
      problems.push({
        path: `${planPath(stage, p)} source.roleArn`,
        message: `source.roleArn must be ${accessRole}, the role this stage creates`,
      });
    }
    return problems;
  });
}

/** Reads the configuration and resolves one stage: what `sst.config.ts` calls. */
export function loadDeployment(
  stage: string,
  env: Record<string, string | undefined>,
  cwd: string,
): ResolvedDeployment {
  const path = deployConfigPath(env, cwd);
  return resolveDeployment(readDeployConfig(path), stage, path);
}
