import { type ParsedArgs, stringFlag } from "../commands/option-values";
import { type CommandOption, escapeControl, UsageError } from "../io";

/** Which deployed stage a command talks to, and with which credentials. */
export interface StageAddress {
  stage: string;
  region: string;
  /** A profile of ~/.aws/config; absent: the SDK's default chain (AWS_PROFILE, env keys, SSO, role...). */
  profile?: string;
}

export const stageOption: CommandOption = {
  flags: "--stage <name>",
  description: "work on this deployed stage (sst deploy --stage <name>) instead of the local runtime",
  once: true,
};
export const regionOption: CommandOption = {
  flags: "--region <region>",
  description: "the stage's region (default: $AWS_REGION, else $AWS_DEFAULT_REGION)",
  once: true,
};
export const profileOption: CommandOption = {
  flags: "--profile <name>",
  description: "the AWS profile to use (default: the SDK's chain: $AWS_PROFILE, environment keys, SSO...)",
  once: true,
};

/** The options of a command that can work on a deployed stage. */
export const deployedStageOptions = [stageOption, regionOption, profileOption];

/** For --help: how the stage's resources are found, so an operator can check them in the console. */
export const deployedStageHelp = [
  "With --stage s, the command works on what `sst deploy --stage s` created, found by name in the",
  "region: tables aurora-restore-s-state and aurora-restore-s-audit, bus aurora-restore-s, archive",
  "aurora-restore-s, and one dead-letter queue per pipeline stage, aurora-restore-s-<stage>-dlq",
  "(packages/functions/src/shared/deploy/names.ts). Credentials come from --profile or the SDK's",
  "default chain; README 'Operate in AWS' lists the IAM actions each command needs.",
].join("\n");

/**
 * The deployed stage the arguments name, or undefined for the local runtime. Exit 2 for a stage or region
 * that cannot be one, for --region or --profile without --stage, and for --stage with --state-dir.
 */
export async function deployedStageOf(
  parsed: ParsedArgs,
  env = process.env,
): Promise<StageAddress | undefined> {
  const stage = stringFlag(parsed, "stage");
  const regionFlag = stringFlag(parsed, "region");
  const profile = stringFlag(parsed, "profile");
  if (stage === undefined) {
    const stray = regionFlag !== undefined ? "--region" : profile !== undefined ? "--profile" : undefined;
    if (stray) throw new UsageError(`${stray} needs --stage <name> (the deployed stage to work on)`);
    return undefined;
  }
  if (parsed.flags.has("state-dir")) {
    throw new UsageError(
      "--stage and --state-dir exclude each other: --stage works on a deployed stage, --state-dir on the local runtime",
    );
  }
  // Loaded only for a deployed stage: the local commands start without them.
  const { region: regionSchema } = await import("@aurora-restore/core/events/identifiers");
  const { MAX_STAGE_LENGTH } = await import("@aurora-restore/functions/shared/deploy/names");
  if (!new RegExp(`^[a-z][a-z0-9-]{0,${MAX_STAGE_LENGTH - 1}}$`).test(stage)) {
    throw new UsageError(
      `--stage '${escapeControl(stage)}' is not a stage name (lower-case letters, digits and hyphens, at most ${MAX_STAGE_LENGTH}, starting with a letter)`,
    );
  }
  const region = regionFlag ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  if (region === undefined) {
    throw new UsageError(
      `no region for stage '${stage}': pass --region (e.g. --region eu-west-1), or set AWS_REGION`,
    );
  }
  if (!regionSchema.safeParse(region).success) {
    const from = regionFlag !== undefined ? "--region" : "AWS_REGION/AWS_DEFAULT_REGION";
    throw new UsageError(`${from} '${escapeControl(region)}' is not a region (e.g. eu-west-1)`);
  }
  if (profile !== undefined && profile.trim() === "") throw new UsageError("--profile must not be empty");
  return { stage, region, ...(profile === undefined ? {} : { profile }) };
}

/** The deployed stage the arguments name; exit 2 when they name none (a command with no local mode). */
export async function requiredDeployedStage(
  parsed: ParsedArgs,
  command: string,
  env = process.env,
): Promise<StageAddress> {
  const address = await deployedStageOf(parsed, env);
  if (!address) {
    throw new UsageError(
      `${command} works on a deployed stage: add --stage <name> (and --region, unless AWS_REGION is set)`,
    );
  }
  return address;
}

/** How messages name the stage: "stage 'dev' in eu-west-1". */
export function describeAddress(address: StageAddress): string {
  return `stage '${address.stage}' in ${address.region}`;
}

/** The flags that address the same stage again, for the commands a message suggests. */
export function addressFlags(address: StageAddress): string {
  const profile = address.profile ? ` --profile ${address.profile}` : "";
  return `--stage ${address.stage} --region ${address.region}${profile}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value && value.trim() !== "" ? value.trim() : undefined;
}
