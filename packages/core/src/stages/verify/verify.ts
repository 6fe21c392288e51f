import type { ClusterConfigured } from "../../events/domain";
import { RestoreVerified } from "../../events/domain";
import type { OperationInfo } from "../../storage/operations";
import { advance, loadAt } from "../kit/advance";
import { audit } from "../kit/audit";
import { claimStep, isRetryable, planTargetOf, type StageEvent, targetScope } from "../kit/claim";
import { readStagedCredentials } from "../kit/credentials";
import type { StageDeps } from "../kit/deps";
import { errorCodeOf, errorMessageOf } from "../kit/errors";
import { failOperation } from "../kit/fail";
import { handOff, handoffOf } from "../kit/handoff";
import { pipelineMetrics } from "../kit/metrics";
import { metaFor, now } from "../kit/publish";
import { type CheckResult, runCheck } from "./verify-checks";

export class VerificationFailedError extends Error {
  override name = "VerificationFailedError";
  readonly code = "VerificationFailed";
  constructor(
    readonly failed: CheckResult[],
    total: number,
    clusterIdentifier: string,
  ) {
    super(
      `${failed.length} of ${total} checks failed on ${clusterIdentifier}: ` +
        `${failed.map((c) => `"${c.name}" (${c.detail ?? "failed"})`).join("; ")}. ` +
        "The target was not changed (cutover did not run); fix the data, the post-restore SQL or the plan's checks and restore again.",
    );
  }
}

/**
 * verify (on ClusterConfigured): logs in as the plan's first application user (the master user when there
 * is none) with the password configure staged in its secret (AWSPENDING when the secret already existed,
 * else AWSCURRENT), over verified TLS; checks every application user can log in;
 * runs the plan's checks and records each result. All passed: RestoreVerified. Any failed: the operation
 * fails naming the failed checks, so cutover never runs.
 */
export async function onClusterConfigured(
  deps: StageDeps,
  event: StageEvent<typeof ClusterConfigured>,
): Promise<void> {
  const startedAt = now(deps);
  const operation = await verifiable(deps, event);
  if (!operation) return;

  let results: CheckResult[];
  try {
    results = await runVerification(deps, operation, event);
  } catch (error) {
    if (isRetryable(error)) throw error;
    await failOperation(
      deps,
      operation,
      "verify",
      error,
      event.id,
      "Check the credentials secret and that the restored cluster accepts logins, then restore again.",
    );
    return;
  }

  const { clusterIdentifier } = event.detail.cluster;
  const failed = results.filter((r) => !r.passed);
  deps.metrics.count(pipelineMetrics.checksFailed, failed.length, { stage: "verify" });
  if (failed.length > 0) {
    await failOperation(
      deps,
      operation,
      "verify",
      new VerificationFailedError(failed, results.length, clusterIdentifier),
      event.id,
    );
    return;
  }
  const verified = { ...metaFor(deps, operation, event.id), cluster: event.detail.cluster, checks: results };
  const moved = await advance(deps, operation, {
    to: "verified",
    eventId: event.id,
    action: "verified",
    stageStartedAt: startedAt,
    // The delivery's attempt: a claim counts it; without one (see verifiable) the transition does.
    countAttempt: operation.step === "configured",
    outputs: { checksPassed: results.map((r) => r.name), checksFailed: [] },
    handoff: handoffOf(deps, "verified", RestoreVerified, verified, operation),
  });
  if (!moved) return;
  // Through the recorded handoff: a failed publish is marked, so the bus's retry (or the watcher) publishes it.
  await handOff(deps, moved, RestoreVerified, verified);
}

/**
 * Verify only reads (secrets, logins, the plan's checks), so it claims no step: its one write is the
 * transition configured -> verified at its end, conditional on the step and version it read, so of two
 * deliveries at once only one moves the operation (the other's transition is refused and audited as a
 * duplicate; both ran the same read-only checks). A crashed verify leaves the operation at `configured`
 * with ClusterConfigured recorded as its handoff, which the watcher publishes again (at a local runtime's
 * start, at once). An operation an earlier version moved to `verifying` is claimed and resumed as before.
 */
async function verifiable(
  deps: StageDeps,
  event: StageEvent<typeof ClusterConfigured>,
): Promise<OperationInfo | undefined> {
  const context = { stage: "verify" as const, action: "verify-restore", eventId: event.id };
  const { operationId } = event.detail;
  const current = await loadAt(deps, operationId, ["configured", "verifying"], context);
  if (current?.step !== "verifying") return current;
  return claimStep(deps, { ...context, operationId, from: "configured", to: "verifying" });
}

async function runVerification(
  deps: StageDeps,
  operation: OperationInfo,
  event: StageEvent<typeof ClusterConfigured>,
): Promise<CheckResult[]> {
  const { target } = await planTargetOf(deps, operation);
  const secrets = deps.secrets(targetScope(operation));
  const users = event.detail.applicationUsers;
  const first = users.find((u) => u.username === target.applicationUsers[0]?.username) ?? users[0];
  const loginSecretArn = first?.secretArn ?? event.detail.masterSecretArn;

  const record = (result: CheckResult, type: string) =>
    audit(deps, operation, {
      stage: "verify",
      action: "check",
      outcome: result.passed ? "succeeded" : "failed",
      eventId: event.id,
      details: { type, ...result },
    });

  const connectAs = async (secretArn: string) => {
    const credentials = await readStagedCredentials(secrets, secretArn);
    const session = await deps.database.connect({
      host: event.detail.endpoint.host,
      port: event.detail.endpoint.port,
      database: target.database,
      user: credentials.username,
      password: credentials.password,
    });
    return { session, username: credentials.username };
  };

  const { session, username } = await connectAs(loginSecretArn);
  const results: CheckResult[] = [];
  try {
    deps.logger.info("Verifying restored cluster", { operationId: operation.operationId, as: username });
    // Every application user must be able to log in with what its secret holds.
    for (const user of users) {
      const result: CheckResult = { name: `login:${user.username}`, passed: true, detail: "login succeeded" };
      if (user.secretArn !== loginSecretArn) {
        try {
          const other = await connectAs(user.secretArn);
          await other.session.close();
        } catch (error) {
          // Reading the secret was throttled (a transient AWS error): no verdict on the login; retried.
          if (isRetryable(error)) throw error;
          result.passed = false;
          result.detail = `${errorCodeOf(error)}: ${errorMessageOf(error)}`;
        }
      }
      await record(result, "login");
      results.push(result);
    }
    for (const check of target.checks) {
      const result = await runCheck(session, check);
      await record(result, check.type);
      results.push(result);
    }
  } finally {
    await session.close();
  }
  return results;
}
