/** The compiled form of an event pattern: what validation produces and the matcher consumes. */
import type { CidrRange } from "./ip";
import type { WildcardToken } from "./wildcard";

export interface NumericBound {
  value: number;
  inclusive: boolean;
}

export type ValueMatcher =
  /** A literal. Numbers compare numerically (300 equals 300.0), strings that are IP addresses as addresses. */
  | { kind: "exact"; value: string | number | boolean | null }
  | { kind: "prefix"; value: string; ignoreCase: boolean }
  | { kind: "suffix"; value: string; ignoreCase: boolean }
  | { kind: "equals-ignore-case"; value: string }
  | { kind: "wildcard"; tokens: WildcardToken[] }
  | { kind: "numeric"; lower?: NumericBound; upper?: NumericBound }
  | { kind: "exists"; value: boolean }
  | { kind: "cidr"; range: CidrRange }
  | { kind: "anything-but"; values: (string | number)[] }
  | { kind: "anything-but-prefix"; values: string[] }
  | { kind: "anything-but-suffix"; values: string[] }
  | { kind: "anything-but-ignore-case"; values: string[] }
  | { kind: "anything-but-wildcard"; values: WildcardToken[][] };

/** One field of the pattern: a dot-joined path and the alternatives (OR) its value may satisfy. */
export interface FieldRule {
  path: string;
  matchers: ValueMatcher[];
}

/** A pattern is an OR of branches (one per `$or` combination); a branch is an AND of field rules. */
export interface CompiledPattern {
  branches: FieldRule[][];
}

/** Operator names as AWS spells them (case-sensitive: `EXISTS` is an unknown match type). */
export const OPERATOR_NAMES: ReadonlySet<string> = new Set([
  "exactly",
  "prefix",
  "suffix",
  "equals-ignore-case",
  "wildcard",
  "anything-but",
  "numeric",
  "exists",
  "cidr",
]);
