import { build, parse, validate } from "@aws-sdk/util-arn-parser";
import type { AccountRegion } from "../ports/location";
import { printable } from "./printable";

/**
 * ARNs taken apart and put together by the AWS SDK's own parser, for every package: the resource keeps its
 * colons (`secret:name-AbCdEf`, `cluster-snapshot:rds:x`). Whether an ARN is acceptable (partition,
 * region, account) is decided by `arnProblem` in identifiers.ts, not here.
 */
export interface ArnParts {
  partition: string;
  service: string;
  region: string;
  accountId: string;
  resource: string;
}

/** The parts of `arn:partition:service:region:account:resource`, or undefined when `text` is not an ARN. */
export function parseArn(text: string): ArnParts | undefined {
  return validate(text) ? parse(text) : undefined;
}

/** The parts of an ARN the caller was promised (a plan or event checked it); a clear error otherwise. */
export function requireArn(text: string, what = "an ARN"): ArnParts {
  const parts = parseArn(text);
  if (!parts) {
    throw new Error(
      `${what} must look like arn:<partition>:<service>:<region>:<account>:<resource>, not "${printable(text, 80)}"`,
    );
  }
  return parts;
}

export function buildArn(parts: ArnParts): string {
  return build(parts);
}

/** The account an ARN names, or undefined when it is not an ARN or names none (IAM's aws-managed ARNs). */
export function arnAccount(text: string): string | undefined {
  return parseArn(text)?.accountId || undefined;
}

/** Account and region of a resource from its ARN, falling back to where it was asked for. */
export function locationOf(arn: string | undefined, fallback: AccountRegion): AccountRegion {
  const parsed = arn ? parseArn(arn) : undefined;
  return {
    accountId: parsed?.accountId || fallback.accountId,
    region: parsed?.region || fallback.region,
  };
}
