import type { IamPolicyDocument } from "@aurora-restore/functions/shared/deploy/policy-documents";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import type { IamRequest } from "./requests";

/**
 * One IAM decision by @cloud-copilot/iam-simulate (IAM's evaluation logic: identity and resource policies,
 * same- and cross-account rules, role trust and KMS key policy behaviour). A request the simulator rejects
 * as malformed (an ARN that is not a resource type of the action, an unknown action) is an "Error".
 */

export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "Error";

export interface Evaluation {
  decision: Decision;
  detail?: string;
}

const cache = new Map<string, Promise<Evaluation>>();

export function evaluate(
  request: IamRequest,
  identity: IamPolicyDocument,
  resourcePolicy: IamPolicyDocument | undefined,
): Promise<Evaluation> {
  const key = JSON.stringify([
    request.principal.arn,
    request.action,
    request.resource,
    request.context,
    identity,
    resourcePolicy,
  ]);
  let found = cache.get(key);
  if (!found) {
    found = run(request, identity, resourcePolicy);
    cache.set(key, found);
  }
  return found;
}

async function run(
  request: IamRequest,
  identity: IamPolicyDocument,
  resourcePolicy: IamPolicyDocument | undefined,
): Promise<Evaluation> {
  const result = await runSimulation(
    {
      request: {
        principal: request.principal.arn,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount },
        contextVariables: request.context,
      },
      identityPolicies: [{ name: `${request.principal.label} policy`, policy: identity }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy } : {}),
    },
    {},
  );
  if (result.resultType === "error") return { decision: "Error", detail: JSON.stringify(result.errors) };
  const ignored = result.resultType === "single" ? (result.result.ignoredContextKeys ?? []) : [];
  return {
    decision: result.overallResult as Decision,
    ...(ignored.length > 0 ? { detail: `context keys ignored for this action: ${ignored.join(", ")}` } : {}),
  };
}
