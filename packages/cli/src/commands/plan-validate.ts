import { readFile } from "node:fs/promises";
import type { PlanValidationError } from "@aurora-restore/core/plan/index";
import { type Command, escapeControl, UsageError } from "../io";
import { jsonOption } from "./common-options";

/**
 * A PlanValidationError's message, one line per issue, with each piece escaped: field names come from the
 * file, so a key cannot drive the terminal or fake a line.
 */
export function describePlanErrors(error: PlanValidationError): string {
  const lines = error.issues.map((i) => `  - ${escapeControl(i.path)}: ${escapeControl(i.message)}`);
  return `${escapeControl(error.origin)} is not a valid plan:\n${lines.join("\n")}`;
}

export const planValidateCommand: Command = {
  path: ["plan", "validate"],
  summary: "Check a restore plan file; errors name the field and what is expected",
  operands: "<file>",
  options: [jsonOption],
  details: [
    "Validates a plan (JSON) against the plan schema. Exit 0 when valid, 2 with one line per problem:",
    "  targets[0].kmsKeyId: a full KMS key ARN ...",
  ].join("\n"),
  examples: [
    "aurora-restore plan validate examples/plans/local-demo.json",
    "aurora-restore plan validate plans/orders.json --json",
  ],
  async run(parsed, io) {
    const { PlanValidationError, parsePlanJson } = await import("@aurora-restore/core/plan/index");
    const { planCrossAccountProblems } = await import("@aurora-restore/functions/shared/deploy/config");
    const [file, extra] = parsed.positionals;
    if (!file || extra)
      throw new UsageError("give exactly one plan file: aurora-restore plan validate <file>");
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      throw new UsageError(
        `cannot read ${escapeControl(file)}: ${escapeControl((error as NodeJS.ErrnoException).code ?? (error as Error).message)}`,
      );
    }
    try {
      const plan = parsePlanJson(text, file);
      // The deploy's cross-account rule too: a source in another account is reached through its role.
      const deployProblems = planCrossAccountProblems(plan);
      if (deployProblems.length > 0) throw new PlanValidationError(deployProblems, file);
      if (parsed.flags.has("json")) {
        io.stdout.write(
          `${JSON.stringify({ valid: true, file, planId: plan.id, targets: plan.targets.length })}\n`,
        );
      } else {
        const targets = plan.targets.map((t) => `${t.clusterIdentifier} (${t.accountId}, ${t.region})`);
        io.stdout.write(
          `${escapeControl(`${file}: plan '${plan.id}' is valid; targets: ${targets.join(", ")}`)}\n`,
        );
      }
      return 0;
    } catch (error) {
      if (!(error instanceof PlanValidationError)) throw error;
      if (parsed.flags.has("json")) {
        io.stdout.write(`${JSON.stringify({ valid: false, file, issues: error.issues })}\n`);
      } else {
        io.stderr.write(`${describePlanErrors(error)}\n`);
      }
      return 2;
    }
  },
};
