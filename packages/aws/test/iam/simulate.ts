import { RDS_SOURCE, rdsDetailTypes } from "@aurora-restore/core/events/rds";
import { deploymentNames, permissionContextFor } from "@aurora-restore/functions/shared/deploy/names";
import { deploymentOf, stageRoles } from "@aurora-restore/functions/shared/deploy/policy-documents";
import { forwardingTargetBusArn } from "@aurora-restore/functions/shared/deploy/source-access";
import { stages } from "@aurora-restore/functions/stages";
import type { AwsWorld } from "../support/aws-world";
import { type Decision, evaluate } from "./evaluate";
import type { PolicyBook } from "./policies";
import { type IamRequest, requestsOfCall } from "./requests";
import { deploymentRequestDocs } from "./service-side";
import { SOURCE_CLUSTER, TARGET } from "./shapes";

/**
 * From a run's recorded calls to decisions: each call's IAM requests (requests.ts), the deployment-level
 * requests no call records (a function's dead-letter queue, the source account's event forwarding, the
 * AssumeRole behind each source-role client), each evaluated against the principal's generated policies.
 * Requests are deduplicated per shape (the same request twice is one decision).
 */

export interface Judged {
  request: IamRequest;
  decision: Decision;
  detail?: string;
}

export interface ShapeResult {
  requests: Judged[];
  /** Recorded calls that could not be turned into requests (a gap in requests.ts). */
  problems: string[];
  promisedDenials: Judged[];
}

const IGNORED_ACTORS = new Set(["driver", "test"]);

function keyOf(request: IamRequest): string {
  return JSON.stringify([request.principal.arn, request.action, request.resource, request.context]);
}

export async function simulateShape(world: AwsWorld, book: PolicyBook): Promise<ShapeResult> {
  const requests = new Map<string, IamRequest>();
  const problems: string[] = [];
  const add = (request: IamRequest) => requests.set(keyOf(request), request);

  const assumed = new Set<string>();
  for (const call of world.calls) {
    if (IGNORED_ACTORS.has(call.actor)) continue;
    const principal = book.principalOf(call);
    const derived = await requestsOfCall(call, (name) => world.tableArnOf(name));
    problems.push(...derived.problems.map((p) => `${call.actor}: ${p}`));
    for (const request of derived.requests) add({ ...request, principal });
    // The clients assume the scope's role with the function's own credentials (src/clients.ts).
    if (call.scope.roleArn && !assumed.has(`${call.actor}|${call.scope.roleArn}`)) {
      assumed.add(`${call.actor}|${call.scope.roleArn}`);
      add({
        principal: book.functionPrincipal(call.actor),
        action: "sts:AssumeRole",
        resource: call.scope.roleArn,
        resourceAccount: call.scope.roleArn.split(":")[4] ?? "",
        context: {},
        origin: `sts:AssumeRole for ${call.service}:${call.command} (${deploymentRequestDocs.assumeRole})`,
      });
    }
  }
  for (const request of deploymentRequests(book)) add(request);

  const judged: Judged[] = [];
  for (const request of requests.values()) judged.push({ request, ...(await decide(book, request)) });
  const promisedDenials: Judged[] = [];
  for (const request of promisedDenialsOf(book))
    promisedDenials.push({ request, ...(await decide(book, request)) });
  return { requests: judged, problems, promisedDenials };
}

function decide(book: PolicyBook, request: IamRequest) {
  return evaluate(request, book.identityOf(request.principal), book.resourcePolicyOf(request));
}

/** What every deployment does besides the pipeline's own calls. */
function deploymentRequests(book: PolicyBook): IamRequest[] {
  const { target, sources } = book.deployment;
  const names = deploymentNames(target.stage);
  const requests: IamRequest[] = stages.map((service) => ({
    principal: book.functionPrincipal(service.name),
    action: "sqs:SendMessage",
    resource: `arn:aws:sqs:${target.region}:${target.accountId}:${names.deadLetterQueue(service.name)}`,
    resourceAccount: target.accountId,
    context: {},
    origin: `Lambda on-failure destination (${deploymentRequestDocs.lambdaFailureDestination})`,
  }));
  for (const source of sources) {
    const forwarder = stageRoles(source).find((r) => r.name === "forwarder")!;
    const bus = forwardingTargetBusArn(source);
    requests.push({
      principal: book.rolePrincipal(forwarder.roleArn, "events", `${source.stage} forwarder`),
      action: "events:PutEvents",
      resource: bus,
      resourceAccount: bus.split(":")[4] ?? "",
      context: { "events:source": [RDS_SOURCE], "events:detail-type": [rdsDetailTypes.clusterSnapshot] },
      origin: `snapshot event forwarding (${deploymentRequestDocs.eventBridgeCrossAccount})`,
    });
  }
  return requests;
}

/**
 * What least privilege promises never to allow (issue 10): the audit trail changed or deleted, the live
 * target touched by restore and configure or deleted by cutover, a cluster or snapshot of no plan, another
 * account's resources, production's own snapshots changed through the source role.
 */
function promisedDenialsOf(book: PolicyBook): IamRequest[] {
  const { target, sources } = book.deployment;
  const at = deploymentOf(target);
  const context = permissionContextFor(at, target.planList);
  const rds = (type: string, id: string, account = target.accountId, region = target.region) =>
    `arn:aws:rds:${region}:${account}:${type}:${id}`;
  const by = (service: string, action: string, resource: string, why: string): IamRequest => ({
    principal: book.functionPrincipal(service),
    action,
    resource,
    resourceAccount: resource.split(":")[4] ?? target.accountId,
    context: {},
    origin: `promised denial: ${why}`,
  });
  const denials: IamRequest[] = stages.flatMap((s) => [
    by(s.name, "dynamodb:UpdateItem", context.auditTableArn, "the audit trail is append-only"),
    by(s.name, "dynamodb:DeleteItem", context.auditTableArn, "the audit trail is append-only"),
  ]);
  denials.push(
    by(
      "restore",
      "rds:RestoreDBClusterFromSnapshot",
      rds("cluster", TARGET),
      "restore never creates the live target",
    ),
    by(
      "restore",
      "rds:CreateDBInstance",
      rds("db", `${TARGET}-3`),
      "restore adds no instance to the live target",
    ),
    by(
      "restore",
      "rds:CreateDBInstance",
      rds("cluster", TARGET),
      "restore adds no instance to the live target",
    ),
    by(
      "configure",
      "rds:ModifyDBCluster",
      rds("cluster", TARGET),
      "configure never modifies the live target",
    ),
    by(
      "cutover",
      "rds:DeleteDBCluster",
      rds("cluster", TARGET),
      "cutover deletes only the cluster it moved away",
    ),
    by(
      "cutover",
      "rds:DeleteDBInstance",
      rds("db", `${TARGET}-1`),
      "cutover deletes only instances it moved away",
    ),
    by("cutover", "rds:DeleteDBInstance", rds("db", `${TARGET}-reporting-1`), "another cluster's instance"),
    by("cleanup", "rds:DeleteDBCluster", rds("cluster", TARGET), "cleanup deletes only the replaced cluster"),
    by("cutover", "rds:ModifyDBCluster", rds("cluster", "billing-db"), "a cluster of no plan"),
    by(
      "restore",
      "rds:RestoreDBClusterFromSnapshot",
      rds("cluster", "billing-db-next"),
      "a cluster of no plan",
    ),
    by(
      "cleanup",
      "rds:DeleteDBClusterSnapshot",
      rds("cluster-snapshot", "billing-db-final"),
      "a snapshot of no plan",
    ),
    by(
      "copy",
      "rds:CopyDBClusterSnapshot",
      rds("cluster-snapshot", "aurora-restore-0000000000-share", "333333333333"),
      "another account's snapshot",
    ),
    by(
      "cleanup",
      "rds:DeleteDBClusterSnapshot",
      rds("cluster-snapshot", "aurora-restore-1", "333333333333"),
      "another account's snapshot",
    ),
  );
  for (const source of sources) {
    const role = stageRoles(source).find((r) => r.name === "source-access")!;
    const principal = book.rolePrincipal(role.roleArn, "aurora-restore-prepare", "prepare -> source-access");
    const production = (id: string) => rds("cluster-snapshot", id, source.accountId, source.region);
    const through = (action: string, resource: string, why: string): IamRequest => ({
      principal,
      action,
      resource,
      resourceAccount: source.accountId,
      context: {},
      origin: `promised denial: ${why}`,
    });
    denials.push(
      through(
        "rds:ModifyDBClusterSnapshotAttribute",
        production(`rds:${SOURCE_CLUSTER}-2026-03-14-03-00`),
        "production's own snapshot is never shared",
      ),
      through(
        "rds:ModifyDBClusterSnapshotAttribute",
        production(`${SOURCE_CLUSTER}-before-release`),
        "production's own snapshot is never shared",
      ),
      through(
        "rds:DeleteDBClusterSnapshot",
        production(`${SOURCE_CLUSTER}-before-release`),
        "production's own snapshot is never deleted",
      ),
      through(
        "rds:DeleteDBCluster",
        rds("cluster", SOURCE_CLUSTER, source.accountId, source.region),
        "production's cluster",
      ),
      through(
        "rds:DescribeDBClusters",
        rds("cluster", "billing-db", source.accountId, source.region),
        "a cluster of no plan",
      ),
    );
  }
  return denials;
}
