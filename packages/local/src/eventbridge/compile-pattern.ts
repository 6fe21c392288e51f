/**
 * Validates an event pattern as AWS does (same checks, same `InvalidEventPatternException` reasons, taken
 * from aws/event-ruler's JsonRuleCompiler and AWS-recorded answers) and compiles it for the matcher.
 */

import { compileValueList, fail, isPlainObject } from "./compile-value-matchers";
import { EventBridgeError } from "./errors";
import { jsonTextDepth, jsonValueDepth, MAX_EVENT_PATTERN_DEPTH, MAX_EVENT_PATTERN_LENGTH } from "./limits";
import { type CompiledPattern, type FieldRule, OPERATOR_NAMES, type ValueMatcher } from "./pattern-types";

/** EventBridge refuses a pattern whose `$or`s expand to more than this many AND-combinations. */
export const MAX_OR_COMBINATIONS = 1000;

type Branch = Map<string, ValueMatcher[]>;

/** Parses a pattern given as JSON text; AWS reports a JSON syntax error as an invalid pattern too. */
export function parsePatternText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // AWS quotes its Java parser (Jackson) here; we quote the JS parser, so only the reason's wording differs.
    return fail((error as Error).message);
  }
}

export interface CompilePatternOptions {
  /** Longest pattern accepted, in characters (default MAX_EVENT_PATTERN_LENGTH; archives' managed rules lift it). */
  maxLength?: number;
}

function tooLong(maxLength: number): never {
  // AWS checks the EventPattern member's length before it reads the pattern (a ValidationException).
  throw new EventBridgeError(
    "ValidationException",
    `1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to ${maxLength}`,
  );
}

function tooDeep(): never {
  return fail(`Filter is nested deeper than ${MAX_EVENT_PATTERN_DEPTH} levels`);
}

/**
 * Bounds first (length, then nesting, both without recursion), so no pattern can make validation, the
 * matcher or JSON.stringify recurse without limit; an object pattern is measured as its compact JSON text.
 */
function checkBounds(pattern: unknown, maxLength: number): void {
  if (typeof pattern === "string") {
    if (pattern.length > maxLength) tooLong(maxLength);
    if (jsonTextDepth(pattern, MAX_EVENT_PATTERN_DEPTH) > MAX_EVENT_PATTERN_DEPTH) tooDeep();
    return;
  }
  if (jsonValueDepth(pattern, MAX_EVENT_PATTERN_DEPTH) > MAX_EVENT_PATTERN_DEPTH) tooDeep();
  if (Number.isFinite(maxLength) && typeof pattern === "object" && pattern !== null) {
    let text: string | undefined;
    try {
      text = JSON.stringify(pattern);
    } catch (error) {
      fail(`Filter is not valid JSON: ${(error as Error).message}`);
    }
    if (text !== undefined && text.length > maxLength) tooLong(maxLength);
  }
}

/**
 * Validates and compiles a pattern (an object, or its JSON text). Throws InvalidEventPatternError with
 * AWS's reason when AWS would refuse the pattern at PutRule/TestEventPattern time, and ValidationException
 * for a pattern longer than MAX_EVENT_PATTERN_LENGTH.
 */
export function compilePattern(pattern: unknown, options: CompilePatternOptions = {}): CompiledPattern {
  checkBounds(pattern, options.maxLength ?? MAX_EVENT_PATTERN_LENGTH);
  const parsed = typeof pattern === "string" ? parsePatternText(pattern) : pattern;
  if (!isPlainObject(parsed)) fail("Filter is not an object");
  let branches: Branch[] = [new Map()];
  branches = compileObject(parsed as Record<string, unknown>, "", branches);
  return {
    branches: branches.map((branch) =>
      [...branch.entries()].map(([path, matchers]): FieldRule => ({ path, matchers })),
    ),
  };
}

/** Validation only, for callers that keep the pattern as given (PutRule). */
export function validatePattern(pattern: unknown): void {
  compilePattern(pattern);
}

const joinPath = (prefix: string, key: string) => (prefix ? `${prefix}.${key}` : key);

/**
 * `$or` is an operator only when its value is an array of at least two objects none of which uses an
 * operator name as a key (event-ruler's rule); otherwise `$or` is an ordinary field name.
 */
function isOrOperator(value: unknown): value is Record<string, unknown>[] {
  return (
    Array.isArray(value) &&
    value.length >= 2 &&
    value.every((item) => isPlainObject(item) && !Object.keys(item).some((k) => OPERATOR_NAMES.has(k)))
  );
}

function compileObject(object: Record<string, unknown>, prefix: string, branches: Branch[]): Branch[] {
  const keys = Object.keys(object);
  if (keys.length === 0) fail("Empty objects are not allowed");
  let current = branches;
  for (const key of keys) {
    const value = object[key];
    if (key === "$or" && isOrOperator(value)) {
      // Each alternative forks every branch built so far: (A AND (B OR C)) becomes (A AND B) OR (A AND C).
      const forked: Branch[] = [];
      for (const [index, alternative] of value.entries()) {
        forked.push(
          ...compileObject(
            alternative,
            prefix,
            current.map((b) => new Map(b)),
          ),
        );
        if (forked.length > MAX_OR_COMBINATIONS) {
          // Stop building branches at once (they would multiply); count the rest to report the total.
          const total = value
            .slice(index + 1)
            .reduce((sum, rest) => sum + countBranches(rest, current.length), forked.length);
          fail(
            `The $or relationship expands to ${total} combinations; at most ${MAX_OR_COMBINATIONS} are allowed`,
          );
        }
      }
      current = forked;
    } else if (Array.isArray(value)) {
      const matchers = compileValueList(value);
      // A later key (or a dotted key naming the same path) replaces an earlier one: the last occurrence wins.
      for (const branch of current) branch.set(joinPath(prefix, key), matchers);
    } else if (isPlainObject(value)) {
      current = compileObject(value, joinPath(prefix, key), current);
    } else {
      fail(`"${key}" must be an object or an array`);
    }
  }
  return current;
}

/** How many branches `object` turns `branches` branches into, without building them (capped, as a float). */
function countBranches(object: Record<string, unknown>, branches: number): number {
  let count = branches;
  for (const [key, value] of Object.entries(object)) {
    if (key === "$or" && isOrOperator(value)) {
      count = value.reduce((sum, alternative) => sum + countBranches(alternative, count), 0);
    } else if (isPlainObject(value)) {
      count = countBranches(value, count);
    }
    if (!Number.isFinite(count)) return Number.POSITIVE_INFINITY;
  }
  return count;
}
