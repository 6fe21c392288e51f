import { type Command, escapeControl, UsageError } from "../io";
import { stateDirOption } from "./common-options";
import { stringFlag } from "./option-values";
import { existingStateDir } from "./state-dir-option";

/**
 * The one command that prints a secret value, as `aws secretsmanager get-secret-value` does: reading a
 * secret is an explicit act of the person at the terminal, never a side effect of another command.
 */
export const localSecretGetCommand: Command = {
  path: ["local", "secret", "get"],
  summary: "Print a local secret's value (the only command that prints one)",
  operands: "<name-or-arn>",
  options: [
    {
      flags: "--account <id>",
      description: "the secret's account (default: from the ARN, else 222222222222)",
    },
    {
      flags: "--region <region>",
      description: "the secret's region (default: from the ARN, else eu-west-1)",
    },
    { flags: "--field <name>", description: "print one field of a JSON secret (e.g. password)" },
    { flags: "--json", description: "print the whole GetSecretValue-like response" },
    stateDirOption,
  ],
  details: [
    "Prints the secret string (AWSCURRENT) of a local Secrets Manager secret. --field prints one field of a",
    "JSON secret (e.g. password); --json prints the whole GetSecretValue-like response.",
  ].join("\n"),
  examples: [
    "aurora-restore local secret get aurora-restore/staging-db/app_reader --field password",
    "aurora-restore local secret get aurora-restore/staging-db/master --json",
  ],
  async run(parsed, io) {
    const { parseArn } = await import("@aurora-restore/core/events/arn");
    const { isAwsCallError } = await import("@aurora-restore/core/ports/index");
    const { LocalKms } = await import("@aurora-restore/local/kms/local-kms");
    const { localPipelineLocation } = await import("@aurora-restore/local/runtime/pipeline-location");
    const { LocalSecretsManager } = await import("@aurora-restore/local/secrets/local-secrets");
    const [name, extra] = parsed.positionals;
    if (!name || extra) throw new UsageError("give exactly one secret name or ARN");
    const arn = parseArn(name);
    const location = {
      accountId: stringFlag(parsed, "account") ?? arn?.accountId ?? localPipelineLocation.accountId,
      region: stringFlag(parsed, "region") ?? arn?.region ?? localPipelineLocation.region,
    };
    const stateDir = await existingStateDir(parsed);
    const kms = new LocalKms({ stateDir });
    const secrets = new LocalSecretsManager({ stateDir, kms }).port(location);
    try {
      const value = await secrets.getSecretValue({ secretId: name });
      const field = stringFlag(parsed, "field");
      if (parsed.flags.has("json")) {
        io.stdout.write(
          `${JSON.stringify({ ARN: value.arn, Name: value.name, VersionId: value.versionId, SecretString: value.secretString, VersionStages: ["AWSCURRENT"] }, null, 2)}\n`,
        );
      } else if (field) {
        io.stdout.write(`${readField(value.secretString, field, name)}\n`);
      } else {
        io.stdout.write(`${value.secretString}\n`);
      }
      return 0;
    } catch (error) {
      if (isAwsCallError(error)) {
        throw new UsageError(
          escapeControl(
            `${error.message} (looked in account ${location.accountId}, ${location.region}, state ${stateDir}; use --account/--region)`,
          ),
          1,
        );
      }
      throw error;
    }
  },
};

function readField(secretString: string, field: string, name: string): string {
  let data: unknown;
  try {
    data = JSON.parse(secretString);
  } catch {
    throw new UsageError(`secret ${escapeControl(name)} is not JSON; drop --field to print it whole`, 1);
  }
  const value = (data as Record<string, unknown>)[field];
  if (value === undefined) {
    throw new UsageError(
      escapeControl(
        `secret ${name} has no field '${field}' (fields: ${Object.keys(data as object).join(", ")})`,
      ),
      1,
    );
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}
