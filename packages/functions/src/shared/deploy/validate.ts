import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type Plan, PlanValidationError, parsePlanJson } from "@aurora-restore/core";
import { stages } from "../../stages";
import {
  type DeployConfig,
  DeployConfigError,
  deploymentProblems,
  parseDeployConfig,
  type ResolvedDeployment,
  resolveDeploymentWithPlans,
} from "./config";
import { functionEnvironment } from "./function-environment";
import { functionStatements } from "./iam";
import { permissionContextFor } from "./names";
import { databaseNetworkFor } from "./network";
import { deploymentOf, encryptionOf } from "./policy-documents";
import { sourceAccessPolicy } from "./source-access";

/**
 * Every check `sst deploy` makes before creating anything, run offline over the whole configuration and
 * collected instead of stopping at the first (`aurora-restore deploy validate`): the file's schema, each
 * plan file, the stage cross-checks, each function's policy against the least-privilege rules, the
 * database network and the functions' environment size. Each problem names the field to fix.
 */

export interface DeployProblem {
  /** Where: `stages.<stage>...`, or `stages.<stage>.plans[i] (<file>) <plan field>`. */
  path: string;
  message: string;
}

export interface DeploymentReport {
  stage: string;
  kind: "target" | "source";
  accountId: string;
  region: string;
  plans: string[];
  problems: DeployProblem[];
  /** The stage resolved with its plans, when its plans are valid. */
  resolved?: ResolvedDeployment;
}

export interface DeployReport {
  configPath: string;
  /** Problems of the file itself (unreadable, not JSON, schema). */
  problems: DeployProblem[];
  stages: DeploymentReport[];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Plans of one stage, read and validated; their problems name the plan file and the plan's field. */
function readPlans(configPath: string, stage: string, files: string[]) {
  const problems: DeployProblem[] = [];
  const plans: Plan[] = [];
  files.forEach((file, i) => {
    const where = `stages.${stage}.plans[${i}] (${file})`;
    const path = resolve(dirname(configPath), file);
    if (!existsSync(path)) {
      problems.push({ path: where, message: `${path} does not exist` });
      return;
    }
    try {
      plans.push(parsePlanJson(readFileSync(path, "utf8"), path));
    } catch (error) {
      if (!(error instanceof PlanValidationError)) throw error;
      for (const issue of error.issues)
        problems.push({ path: `${where} ${issue.path}`, message: issue.message });
    }
  });
  return { plans, problems };
}

/** The checks the stacks make when they build a stage (stacks/target-deployment.ts, source-deployment.ts). */
export function buildProblems(stage: ResolvedDeployment): DeployProblem[] {
  const problems: DeployProblem[] = [];
  const where = `stages.${stage.stage}`;
  if (stage.kind === "source") {
    try {
      sourceAccessPolicy(stage);
    } catch (error) {
      problems.push({ path: `${where} (source access role)`, message: messageOf(error) });
    }
    return problems;
  }
  const at = deploymentOf(stage);
  const context = permissionContextFor(at, stage.planList);
  const encryption = encryptionOf(stage);
  for (const declaration of stages) {
    try {
      functionStatements(at, context, declaration, encryption);
    } catch (error) {
      problems.push({ path: `${where} (${declaration.name} function policy)`, message: messageOf(error) });
    }
    try {
      functionEnvironment({
        stage: stage.stage,
        topicArn: context.topicArn,
        declaration,
        plans: stage.planList,
      });
    } catch (error) {
      problems.push({
        path: `${where}.plans (${declaration.name} function environment)`,
        message: messageOf(error),
      });
    }
  }
  if (stages.some((s) => s.reachesDatabase)) {
    try {
      databaseNetworkFor(stage);
    } catch (error) {
      problems.push({ path: `${where}.databaseNetwork`, message: messageOf(error) });
    }
  }
  return problems;
}

/** Validates a deploy configuration file completely, every stage. */
export function validateDeployConfig(configPath: string): DeployReport {
  const report: DeployReport = { configPath, problems: [], stages: [] };
  if (!existsSync(configPath)) {
    report.problems.push({ path: "(file)", message: `${configPath} does not exist` });
    return report;
  }
  let config: DeployConfig;
  try {
    config = parseDeployConfig(readFileSync(configPath, "utf8"), configPath);
  } catch (error) {
    if (!(error instanceof DeployConfigError)) throw error;
    report.problems.push(...configIssues(error));
    return report;
  }
  for (const [stage, stageConfig] of Object.entries(config.stages)) {
    const { plans, problems } = readPlans(configPath, stage, stageConfig.plans);
    const entry: DeploymentReport = {
      stage,
      kind: stageConfig.kind,
      accountId: stageConfig.accountId,
      region: stageConfig.region,
      plans: stageConfig.plans,
      problems,
    };
    report.stages.push(entry);
    if (problems.length > 0) continue;
    const resolved = { ...stageConfig, stage, planList: plans } as ResolvedDeployment;
    entry.problems.push(...deploymentProblems(resolved));
    if (entry.problems.length > 0) continue;
    entry.resolved = resolveDeploymentWithPlans(config, stage, plans, configPath);
    entry.problems.push(...buildProblems(entry.resolved));
  }
  return report;
}

/** The fields a DeployConfigError names (schema), else the error as one problem (not JSON). */
function configIssues(error: DeployConfigError): DeployProblem[] {
  return error.issues.length > 0 ? [...error.issues] : [{ path: "(file)", message: error.message }];
}

export function reportProblems(report: DeployReport): DeployProblem[] {
  return [...report.problems, ...report.stages.flatMap((s) => s.problems)];
}
