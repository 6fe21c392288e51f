import type * as z from "zod";
import { printable } from "../events/printable";
import { type Plan, planSchema } from "./schema";

export interface PlanIssue {
  /** e.g. targets[0].kmsKeyId */
  path: string;
  message: string;
}

/** At most this many issues are listed (the rest are counted): a hostile plan cannot flood a terminal. */
export const MAX_LISTED_ISSUES = 50;

/**
 * Bounds checked before the schema reads anything: a plan file's size, and the shape of any plan value
 * (nesting, number of values, string length), so a huge or deeply nested input is refused at once with
 * where it is, instead of being walked by the schema.
 */
export const planInputLimits = {
  fileBytes: 1_048_576,
  depth: 16,
  values: 50_000,
  keysPerObject: 100,
  arrayItems: 1_000,
  stringLength: 100_000,
} as const;

export class PlanValidationError extends Error {
  override name = "PlanValidationError";
  readonly origin: string;
  constructor(
    readonly issues: PlanIssue[],
    origin: string,
  ) {
    const shown = printable(origin, 200);
    const listed = issues.slice(0, MAX_LISTED_ISSUES).map((i) => `  - ${i.path}: ${i.message}`);
    if (issues.length > MAX_LISTED_ISSUES) {
      listed.push(`  - ... and ${issues.length - MAX_LISTED_ISSUES} more`);
    }
    super(`${shown} is not a valid plan:\n${listed.join("\n")}`);
    this.origin = shown;
  }
}

/** A path part as printed: control characters escaped, long keys cut. */
function pathPart(part: PropertyKey): string {
  return printable(typeof part === "symbol" ? part.toString() : part, 64);
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? pathPart(part) : `.${pathPart(part)}`;
  }
  return out === "" ? "(plan)" : out;
}

/** Turns zod's issues into "path: expected ..." lines a person can act on (and a terminal can print). */
export function describeIssues(error: z.ZodError): PlanIssue[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === "invalid_type" && /received undefined/.test(message)) {
      message = `is required (${issue.expected} expected)`;
    } else if (issue.code === "unrecognized_keys") {
      const keys = issue.keys.slice(0, 10).map((k) => pathPart(k));
      const more = issue.keys.length > 10 ? ` and ${issue.keys.length - 10} more` : "";
      message = `unknown field(s) ${keys.join(", ")}${more}: check the spelling against the plan schema`;
    }
    return { path: formatPath(issue.path), message: printable(message, 1_000) };
  });
}

/**
 * The first place where `input` exceeds planInputLimits, walked without recursion (a deeply nested value
 * cannot exhaust the stack), or undefined.
 */
export function planInputProblem(input: unknown): PlanIssue | undefined {
  const limits = planInputLimits;
  const stack: { value: unknown; path: PropertyKey[] }[] = [{ value: input, path: [] }];
  let values = 0;
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: PropertyKey[] };
    values++;
    if (values > limits.values) {
      return { path: "(plan)", message: `has more than ${limits.values} values: a plan is far smaller` };
    }
    if (typeof value === "string" && value.length > limits.stringLength) {
      return { path: formatPath(path), message: `is longer than ${limits.stringLength} characters` };
    }
    if (value === null || typeof value !== "object") continue;
    if (path.length >= limits.depth) {
      return { path: formatPath(path), message: `is nested more than ${limits.depth} levels deep` };
    }
    if (Array.isArray(value)) {
      if (value.length > limits.arrayItems) {
        return { path: formatPath(path), message: `has ${value.length} items; at most ${limits.arrayItems}` };
      }
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(value);
    if (keys.length > limits.keysPerObject) {
      return {
        path: formatPath(path),
        message: `has ${keys.length} fields; at most ${limits.keysPerObject}`,
      };
    }
    for (const key of keys.reverse()) {
      stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return undefined;
}

export function validatePlan(input: unknown, origin = "the plan"): Plan {
  const tooBig = planInputProblem(input);
  if (tooBig) throw new PlanValidationError([tooBig], origin);
  const result = planSchema.safeParse(input);
  if (!result.success) throw new PlanValidationError(describeIssues(result.error), origin);
  return result.data;
}

/** Parses plan JSON text, naming the file in every error. */
export function parsePlanJson(text: string, origin: string): Plan {
  if (text.length > planInputLimits.fileBytes) {
    throw new PlanValidationError(
      [
        {
          path: "(file)",
          message: `is ${text.length} characters long; a plan file has at most ${planInputLimits.fileBytes}`,
        },
      ],
      origin,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new PlanValidationError(
      [{ path: "(file)", message: `is not valid JSON (${printable((error as Error).message, 300)})` }],
      origin,
    );
  }
  return validatePlan(data, origin);
}
