import type { z } from "zod";
import { type Plan, planSchema } from "./schema";

export interface PlanIssue {
  /** e.g. targets[0].kmsKeyId */
  path: string;
  message: string;
}

export class PlanValidationError extends Error {
  override name = "PlanValidationError";
  constructor(
    readonly issues: PlanIssue[],
    readonly origin: string,
  ) {
    super(`${origin} is not a valid plan:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}`);
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(plan)" : out;
}

/** Turns zod's issues into "path: expected ..." lines a person can act on. */
export function describeIssues(error: z.ZodError): PlanIssue[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === "invalid_type" && /received undefined/.test(message)) {
      message = `is required (${issue.expected} expected)`;
    } else if (issue.code === "unrecognized_keys") {
      message = `unknown field(s) ${issue.keys.join(", ")}: check the spelling against the plan schema`;
    }
    return { path: formatPath(issue.path), message };
  });
}

export function validatePlan(input: unknown, origin = "the plan"): Plan {
  const result = planSchema.safeParse(input);
  if (!result.success) throw new PlanValidationError(describeIssues(result.error), origin);
  return result.data;
}

/** Parses plan JSON text, naming the file in every error. */
export function parsePlanJson(text: string, origin: string): Plan {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new PlanValidationError(
      [{ path: "(file)", message: `is not valid JSON (${(error as Error).message})` }],
      origin,
    );
  }
  return validatePlan(data, origin);
}

/** Audit retention in days for a plan's compliance profile. */
export { complianceProfiles } from "./schema";
