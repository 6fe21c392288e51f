/**
 * The value side of an event pattern: lists of values and the match expressions in them (prefix, suffix,
 * wildcard, numeric, anything-but, cidr, exists, ...), validated as AWS validates them (see compile-pattern.ts).
 */
import { InvalidEventPatternError } from "./errors";
import { compileCidr } from "./ip";
import { type NumericBound, OPERATOR_NAMES, type ValueMatcher } from "./pattern-types";
import { assertWildcardNotTooComplex, parseWildcard, type WildcardToken } from "./wildcard";

export const fail = (reason: string): never => {
  throw new InvalidEventPatternError(reason);
};

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function compileValueList(values: unknown[]): ValueMatcher[] {
  if (values.length === 0) fail("Empty arrays are not allowed");
  return values.map((value): ValueMatcher => {
    if (
      value === null ||
      typeof value === "string" ||
      typeof value === "number" ||
      typeof value === "boolean"
    ) {
      return { kind: "exact", value };
    }
    if (isPlainObject(value)) return compileMatchExpression(value);
    return fail("Match value must be String, number, true, false, or null");
  });
}

function compileMatchExpression(expression: Record<string, unknown>): ValueMatcher {
  const keys = Object.keys(expression);
  const name = keys[0];
  if (name === undefined) return fail("Match expression name not found");
  if (!OPERATOR_NAMES.has(name)) return fail(`Unrecognized match type ${name}`);
  // AWS's streaming parser reads the first operand before it notices a second key, so operand errors win.
  const matcher = compileOperator(name, expression[name]);
  if (keys.length > 1) {
    fail(
      name === "numeric" || name === "anything-but"
        ? "Too many elements in numeric expression"
        : "Only one key allowed in match expression",
    );
  }
  return matcher;
}

function requireString(operand: unknown, message: string): string {
  return typeof operand === "string" ? operand : fail(message);
}

function compileWildcard(operand: string): WildcardToken[] {
  const tokens = parseWildcard(operand);
  assertWildcardNotTooComplex(tokens);
  return tokens;
}

function compileOperator(name: string, operand: unknown): ValueMatcher {
  switch (name) {
    case "exactly":
      return { kind: "exact", value: requireString(operand, "exact match pattern must be a string") };
    case "prefix":
    case "suffix":
      return compileAffix(name, operand);
    case "equals-ignore-case":
      return {
        kind: "equals-ignore-case",
        value: requireString(operand, "equals-ignore-case match pattern must be a string"),
      };
    case "wildcard":
      return {
        kind: "wildcard",
        tokens: compileWildcard(requireString(operand, "wildcard match pattern must be a string")),
      };
    case "cidr":
      // "prefix" is not a typo of ours: AWS names the wrong operator in this message.
      return {
        kind: "cidr",
        range: compileCidr(requireString(operand, "prefix match pattern must be a string")),
      };
    case "exists":
      if (typeof operand !== "boolean") fail("exists match pattern must be either true or false.");
      return { kind: "exists", value: operand as boolean };
    case "numeric":
      return compileNumeric(operand);
    default:
      return compileAnythingBut(operand);
  }
}

function compileAffix(name: "prefix" | "suffix", operand: unknown): ValueMatcher {
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    const inner = keys[0];
    if (inner === undefined) fail(`${name === "prefix" ? "Prefix" : "Suffix"} expression name not found`);
    if (inner !== "equals-ignore-case") fail(`Unsupported ${name} pattern: ${inner}`);
    const value = requireString(operand[inner!], "equals-ignore-case match pattern must be a string");
    if (keys.length > 1) fail("Only one key allowed in match expression");
    return { kind: name, value, ignoreCase: true };
  }
  return {
    kind: name,
    value: requireString(operand, `${name} match pattern must be a string`),
    ignoreCase: false,
  };
}

const NUMERIC_NAMES: Record<string, string> = { "=": "equals", ">": ">", ">=": ">=", "<": "<", "<=": "<=" };

/** How AWS's parser names a token it did not expect: its raw JSON text (`[`, `{`, `null`, ...). */
function tokenText(value: unknown): string {
  if (value === undefined) return "]";
  if (Array.isArray(value)) return "[";
  if (isPlainObject(value)) return "{";
  return typeof value === "string" ? value : String(value);
}

function numericValue(operator: string, value: unknown): number {
  return typeof value === "number"
    ? value
    : fail(`Value of ${NUMERIC_NAMES[operator] ?? operator} must be numeric`);
}

/** `numeric` is a small grammar: `[op, n]`, or a lower bound (`>`/`>=`) followed by an upper one (`<`/`<=`). */
function compileNumeric(operand: unknown): ValueMatcher {
  if (!Array.isArray(operand)) return fail("Value of numeric must be an array.");
  const [first, firstValue, second, secondValue] = operand;
  if (typeof first !== "string") return fail(`Invalid member in numeric match: ${tokenText(first)}`);
  if (!Object.hasOwn(NUMERIC_NAMES, first)) return fail(`Unrecognized numeric range operator: ${first}`);
  const bound = numericValue(first, firstValue);
  if (operand.length === 2) {
    if (first === "=")
      return {
        kind: "numeric",
        lower: { value: bound, inclusive: true },
        upper: { value: bound, inclusive: true },
      };
    const b: NumericBound = { value: bound, inclusive: first.endsWith("=") };
    return first.startsWith(">") ? { kind: "numeric", lower: b } : { kind: "numeric", upper: b };
  }
  if (first !== ">" && first !== ">=") return fail("Too many elements in numeric expression");
  if (typeof second !== "string") return fail(`Bad value in numeric range: ${tokenText(second)}`);
  if (second !== "<" && second !== "<=") return fail(`Bad numeric range operator: ${second}`);
  const top = numericValue(second, secondValue);
  if (operand.length > 4) return fail("Too many terms in numeric range expression");
  if (!(bound < top)) return fail("Bottom must be less than top");
  return {
    kind: "numeric",
    lower: { value: bound, inclusive: first === ">=" },
    upper: { value: top, inclusive: second === "<=" },
  };
}

const ANYTHING_BUT_NESTED = new Set(["equals-ignore-case", "prefix", "suffix", "wildcard"]);
const ANYTHING_BUT_SHAPE = "Value of anything-but must be an array or single string/number value.";

function compileAnythingBut(operand: unknown): ValueMatcher {
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    const inner = keys[0];
    if (inner === undefined) return fail("Anything-But expression name not found");
    if (!ANYTHING_BUT_NESTED.has(inner)) return fail(`Unsupported anything-but pattern: ${inner}`);
    const matcher = compileAnythingButNested(inner, operand[inner]);
    if (keys.length > 1) fail("Too many elements in numeric expression");
    return matcher;
  }
  if (Array.isArray(operand)) {
    for (const value of operand) {
      if (typeof value !== "string" && typeof value !== "number") {
        fail("Inside anything but list, start|null|boolean is not supported.");
      }
    }
    const strings = operand.filter((v) => typeof v === "string").length;
    if (operand.length === 0 || (strings > 0 && strings < operand.length)) {
      fail("Inside anything but list, either all values are number or string, mixed type is not supported");
    }
    return { kind: "anything-but", values: operand as (string | number)[] };
  }
  if (typeof operand === "string" || typeof operand === "number")
    return { kind: "anything-but", values: [operand] };
  return fail(ANYTHING_BUT_SHAPE);
}

function compileAnythingButNested(inner: string, operand: unknown): ValueMatcher {
  // Only a list, a string or a number gets past AWS's outer check; null, booleans and objects do not.
  if (!Array.isArray(operand) && typeof operand !== "string" && typeof operand !== "number")
    fail(ANYTHING_BUT_SHAPE);
  const candidates: unknown[] = Array.isArray(operand) ? operand : [operand];
  // AWS accepts an empty nested list and then fails at match time; refusing it is the honest local answer.
  if (candidates.length === 0) fail("Empty arrays are not allowed");
  const typeMessage =
    inner === "equals-ignore-case"
      ? "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
      : inner === "wildcard"
        ? "wildcard match pattern must be a string"
        : "prefix/suffix match pattern must be a string";
  const values = candidates.map((candidate) => {
    const text = requireString(candidate, typeMessage);
    if ((inner === "prefix" || inner === "suffix") && text === "") fail("Null prefix/suffix not allowed");
    return text;
  });
  switch (inner) {
    case "prefix":
      return { kind: "anything-but-prefix", values };
    case "suffix":
      return { kind: "anything-but-suffix", values };
    case "equals-ignore-case":
      return { kind: "anything-but-ignore-case", values };
    default:
      return { kind: "anything-but-wildcard", values: values.map(compileWildcard) };
  }
}
