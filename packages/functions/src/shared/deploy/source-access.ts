import type { PolicyStatement } from "@aurora-restore/core";
import { stages } from "../../stages";
import { sourceAccessStatements } from "../permissions";
import type { ResolvedDeployment } from "./config";
import { compactStatements, policyViolations } from "./iam";
import { type Deployment, deploymentNames, permissionContextFor, roleArn } from "./names";

type SourceStage = ResolvedDeployment & { kind: "source" };

function targetDeployment(stage: SourceStage): Deployment {
  return { partition: stage.partition, ...stage.target };
}

/** The role the pipeline's functions assume in this source account. */
export function sourceAccessRoleArn(stage: SourceStage): string {
  return roleArn(stage, deploymentNames(stage.stage).sourceAccessRole);
}

/**
 * The target stage's function roles that may assume the source access role: exactly the stages whose
 * declared permissions assume it (read from the declarations, so the trust cannot drift from them).
 */
export function sourceAccessPrincipals(stage: SourceStage): string[] {
  const target = targetDeployment(stage);
  const accessRole = sourceAccessRoleArn(stage);
  const plans = stage.planList.map((plan) => ({ ...plan, source: { ...plan.source, roleArn: accessRole } }));
  const context = permissionContextFor(target, plans);
  const names = deploymentNames(target.stage);
  return stages
    .filter((declaration) =>
      declaration
        .permissions(context)
        .some((s) => s.actions.includes("sts:AssumeRole") && s.resources.includes(accessRole)),
    )
    .map((declaration) => roleArn(target, names.functionRole(declaration.name)));
}

/** What the source access role may do: read, copy and share, and clean up the planned sources' snapshots. */
export function sourceAccessPolicy(stage: SourceStage): PolicyStatement[] {
  const statements = compactStatements(
    stage.planList.flatMap((plan) => sourceAccessStatements(stage, plan, ["read", "share", "cleanup"])),
  );
  const target = permissionContextFor(targetDeployment(stage), stage.planList);
  const violations = policyViolations(statements, target);
  if (violations.length > 0) {
    throw new Error(
      `The source access policy breaks the least-privilege rules:\n  - ${violations.join("\n  - ")}`,
    );
  }
  return statements;
}

/** Snapshot events go to the target account's default bus, where trigger listens. */
export function forwardingTargetBusArn(stage: SourceStage): string {
  return `arn:${stage.partition}:events:${stage.target.region}:${stage.target.accountId}:event-bus/default`;
}
