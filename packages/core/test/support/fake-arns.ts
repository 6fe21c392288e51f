import type { AccountRegion } from "../../src/ports/location";

/** The account, region and resource of an ARN, or undefined when the text is not one. */
export function parseArn(text: string): (AccountRegion & { resource: string }) | undefined {
  if (!text.startsWith("arn:")) return undefined;
  const [, , , region = "", accountId = "", ...rest] = text.split(":");
  return { accountId, region, resource: rest.join(":") };
}

/** Where the fakes file a resource: one key space per account and region, as AWS scopes them. */
export const keyOf = (where: AccountRegion, id: string) => `${where.accountId}/${where.region}/${id}`;

export function snapshotArn(where: AccountRegion, id: string): string {
  return `arn:aws:rds:${where.region}:${where.accountId}:cluster-snapshot:${id}`;
}

export function endpointOf(clusterIdentifier: string, region: string): string {
  return `${clusterIdentifier}.cluster-fake.${region}.rds.amazonaws.com`;
}
