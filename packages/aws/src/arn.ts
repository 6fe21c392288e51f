import type { AccountRegion } from "@aurora-restore/core/ports/index";

/** The parts of `arn:partition:service:region:account:resource` the adapters need. */
export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  accountId: string;
  resource: string;
}

export function isArn(value: string): boolean {
  return value.startsWith("arn:");
}

export function parseArn(value: string): ParsedArn | undefined {
  if (!isArn(value)) return undefined;
  const parts = value.split(":");
  if (parts.length < 6) return undefined;
  const [, partition = "", service = "", region = "", accountId = ""] = parts;
  return { partition, service, region, accountId, resource: parts.slice(5).join(":") };
}

export function arnAccount(value: string): string | undefined {
  return parseArn(value)?.accountId || undefined;
}

/** Account and region of a resource from its ARN, falling back to where it was asked for. */
export function locationOf(arn: string | undefined, fallback: AccountRegion): AccountRegion {
  const parsed = arn ? parseArn(arn) : undefined;
  return {
    accountId: parsed?.accountId || fallback.accountId,
    region: parsed?.region || fallback.region,
  };
}
