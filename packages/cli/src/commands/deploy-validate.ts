import type { DeployProblem } from "@aurora-restore/functions/shared/deploy/validate";
import { type Command, escapeControl } from "../io";
import { jsonOption } from "./common-options";
import { stringFlag } from "./option-values";

/** The configuration file: --config, else AURORA_RESTORE_DEPLOY_CONFIG, else deploy/aurora-restore.json. */
export async function configPathOf(config: string | undefined): Promise<string> {
  const { deployConfigPath } = await import("@aurora-restore/functions/shared/deploy/config");
  return deployConfigPath(config ? { AURORA_RESTORE_DEPLOY_CONFIG: config } : process.env, process.cwd());
}

export function describeProblems(problems: DeployProblem[]): string {
  return problems.map((p) => `  - ${escapeControl(p.path)}: ${escapeControl(p.message)}`).join("\n");
}

export const deployValidateCommand: Command = {
  path: ["deploy", "validate"],
  summary: "Check the deploy configuration and its plans offline, as sst deploy would",
  options: [
    {
      flags: "--config <file>",
      description:
        "the deploy configuration (default: $AURORA_RESTORE_DEPLOY_CONFIG, else deploy/aurora-restore.json)",
    },
    jsonOption,
  ],
  details: [
    "Every check `sst deploy` makes before it creates anything, over every stage of the configuration",
    "(default: $AURORA_RESTORE_DEPLOY_CONFIG, else deploy/aurora-restore.json): the file, each plan file,",
    "accounts, regions and roles, each function's policy against the least-privilege rules, the database",
    "network, the functions' environment size. Exit 0 when it can deploy, 2 with one line per problem:",
    "  stages.production.plans[0] (plans/orders.json) source.roleArn: ...",
  ].join("\n"),
  examples: [
    "aurora-restore deploy validate",
    "aurora-restore deploy validate --config deploy/staging.json --json",
  ],
  async run(parsed, io) {
    const { reportProblems, validateDeployConfig } = await import(
      "@aurora-restore/functions/shared/deploy/validate"
    );
    const path = await configPathOf(stringFlag(parsed, "config"));
    const report = validateDeployConfig(path);
    const problems = reportProblems(report);
    if (parsed.flags.has("json")) {
      const stages = report.stages.map(({ resolved: _resolved, ...stage }) => stage);
      io.stdout.write(
        `${JSON.stringify({ valid: problems.length === 0, file: path, problems: report.problems, stages })}\n`,
      );
      return problems.length === 0 ? 0 : 2;
    }
    if (problems.length > 0) {
      io.stderr.write(`${escapeControl(path)} cannot be deployed:\n${describeProblems(problems)}\n`);
      return 2;
    }
    for (const stage of report.stages) {
      io.stdout.write(
        `${escapeControl(`${path}: stage ${stage.stage} (${stage.kind}, ${stage.accountId}/${stage.region}) can be deployed; plans: ${stage.plans.join(", ")}`)}\n`,
      );
    }
    return 0;
  },
};
