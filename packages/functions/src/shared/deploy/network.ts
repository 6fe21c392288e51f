import type { Plan } from "@aurora-restore/core";

/**
 * Where the functions that reach the database run: the stage's explicit subnets, or the subnets of the
 * plans' DB subnet group (looked up at deploy time) with the plans' security groups.
 */
export type DatabaseNetwork =
  | { kind: "subnets"; subnetIds: string[]; securityGroupIds: string[] }
  | { kind: "subnet-group"; dbSubnetGroupName: string; securityGroupIds: string[] };

export class DatabaseNetworkError extends Error {
  override name = "DatabaseNetworkError";
}

export function databaseNetworkFor(stage: {
  databaseNetwork?: { subnetIds: string[]; securityGroupIds: string[] } | undefined;
  planList: Plan[];
}): DatabaseNetwork {
  if (stage.databaseNetwork) return { kind: "subnets", ...stage.databaseNetwork };
  const targets = stage.planList.flatMap((plan) => plan.targets);
  const groups = [...new Set(targets.map((target) => target.network.dbSubnetGroupName))];
  const securityGroupIds = [...new Set(targets.flatMap((target) => target.network.vpcSecurityGroupIds))];
  const [group] = groups;
  if (groups.length !== 1 || group === undefined) {
    const named = groups.map((g) => g ?? "(none: the default subnet group)").join(", ");
    throw new DatabaseNetworkError(
      `The functions that reach the database need one network, but the plans' targets use these subnet groups: ${named}. ` +
        'Set "databaseNetwork": { "subnetIds": [...], "securityGroupIds": [...] } in the stage.',
    );
  }
  if (securityGroupIds.length === 0) {
    throw new DatabaseNetworkError(
      "The plans' targets name no network.vpcSecurityGroupIds, so the functions that reach the database " +
        'would get no security group. Set them in the plans, or "databaseNetwork" in the stage.',
    );
  }
  return { kind: "subnet-group", dbSubnetGroupName: group, securityGroupIds };
}
