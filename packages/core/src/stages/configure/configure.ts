import type { ClusterAvailable } from "../../events/domain";
import { ClusterConfigured } from "../../events/domain";
import type { PlanTarget } from "../../plan/schema";
import type { DbSession } from "../../ports/database";
import type { OperationInfo } from "../../storage/operations";
import { advance } from "../kit/advance";
import { audit } from "../kit/audit";
import { flushAudit } from "../kit/audit-buffer";
import { claimStep, isRetryable, planTargetOf, type StageEvent, targetScope } from "../kit/claim";
import {
  type CredentialSecret,
  credentialVersionId,
  scramVerifier,
  stageCredentials,
} from "../kit/credentials";
import type { StageDeps } from "../kit/deps";
import { errorCodeOf, errorMessageOf } from "../kit/errors";
import { failOperation } from "../kit/fail";
import { handOff, handoffOf } from "../kit/handoff";
import { ensureOwner, isLeaseLost } from "../kit/lease";
import { pipelineMetrics } from "../kit/metrics";
import { metaFor } from "../kit/publish";
import { runKeyOf } from "../kit/retry-run";
import { connectOnceAccepted, defaultLoginBackoff, type LoginBackoff } from "./password-wait";

export interface ConfigureOptions {
  loginBackoff?: LoginBackoff;
}

type ApplicationUser = PlanTarget["applicationUsers"][number];
type Grant = ApplicationUser["grants"][number];

const privilegeWords: ReadonlySet<string> = new Set([
  "SELECT",
  "INSERT",
  "UPDATE",
  "DELETE",
  "TRUNCATE",
  "REFERENCES",
  "TRIGGER",
]);

export class PostRestoreSqlError extends Error {
  override name = "PostRestoreSqlError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * configure (on ClusterAvailable): a fresh master password, stored in Secrets Manager before RDS is asked
 * to use it (a crash never loses it), a verified login with it, then over that TLS session the plan's
 * application users (each password in its own secret, stored before use), grants and post-restore SQL.
 * A secret the target already has gets the new credentials as AWSPENDING only: the target's applications
 * keep reading AWSCURRENT, which still works on the target, until cutover promotes them (or cleanup of a
 * failed operation discards them). Publishes ClusterConfigured with secret ARNs only.
 */
export async function onClusterAvailable(
  deps: StageDeps,
  event: StageEvent<typeof ClusterAvailable>,
  options: ConfigureOptions = {},
): Promise<void> {
  const operation = await claimStep(deps, {
    operationId: event.detail.operationId,
    eventId: event.id,
    from: "cluster-available",
    to: "configuring",
    stage: "configure",
    action: "configure-cluster",
  });
  if (!operation) return;

  let configured: Awaited<ReturnType<typeof applyConfiguration>>;
  try {
    configured = await applyConfiguration(
      deps,
      operation,
      event,
      options.loginBackoff ?? defaultLoginBackoff,
    );
  } catch (error) {
    if (isRetryable(error)) throw error;
    if (isLeaseLost(error)) {
      // Failed at its deadline, or taken over after this delivery's lease expired: stop, touch nothing more.
      await audit(deps, operation, {
        stage: "configure",
        action: "configure-cluster",
        outcome: "ignored-duplicate",
        eventId: event.id,
        details: { reason: errorMessageOf(error) },
      });
      return;
    }
    await failOperation(deps, operation, "configure", error, event.id);
    return;
  }

  const configuredEvent = {
    ...metaFor(deps, operation, event.id),
    cluster: event.detail.cluster,
    endpoint: event.detail.endpoint,
    masterSecretArn: configured.masterSecretArn,
    applicationUsers: configured.users,
  };
  const moved = await advance(deps, operation, {
    to: "configured",
    eventId: event.id,
    action: "configured",
    handoff: handoffOf(deps, "configured", ClusterConfigured, configuredEvent, operation),
    outputs: {
      masterSecretArn: configured.masterSecretArn,
      applicationUsers: configured.users.map((u) => u.username),
      applicationSecretArns: configured.users.map((u) => u.secretArn),
    },
  });
  if (!moved) return;
  await audit(deps, operation, {
    stage: "configure",
    action: "configured",
    outcome: "succeeded",
    eventId: event.id,
    details: { masterSecretArn: configured.masterSecretArn, users: configured.users.map((u) => u.username) },
  });
  // Through the recorded handoff: a failed publish is marked, so the bus's retry (or the watcher) publishes it.
  await handOff(deps, moved, ClusterConfigured, configuredEvent);
}

async function applyConfiguration(
  deps: StageDeps,
  operation: OperationInfo,
  event: StageEvent<typeof ClusterAvailable>,
  backoff: LoginBackoff,
) {
  const { target } = await planTargetOf(deps, operation);
  const scope = targetScope(operation);
  const { clusterIdentifier } = event.detail.cluster;
  const { host, port } = event.detail.endpoint;
  const step = (action: string, details: Record<string, unknown>) =>
    audit(deps, operation, { stage: "configure", action, outcome: "succeeded", eventId: event.id, details });

  const owned = () => ensureOwner(deps, operation);
  await owned();
  const done = await doneEarlier(deps, operation);
  // The watcher found the master user when it announced the cluster; an event from before it did: describe.
  const username =
    event.detail.masterUsername ?? (await deps.rds(scope).describeCluster(clusterIdentifier)).masterUsername;
  const base: Omit<CredentialSecret, "username" | "password"> = {
    host,
    port,
    dbname: target.database,
    engine: "postgres",
  };
  const credentials = (name: string, user: string, description: string) =>
    stageCredentials(secrets, {
      name,
      versionId: credentialVersionId(runKeyOf(operation), name),
      description,
      make: () => ({ ...base, username: user, password: deps.generatePassword() }),
    });

  // The secret first: if anything below fails, the password RDS may already use is not lost. The -next
  // host is right for verify; cutover points the promoted value at the target's endpoint. A resumed or
  // duplicated configure finds this operation's version and sets the same password again, never a second.
  const secrets = deps.secrets(scope);
  await owned();
  const master = await credentials(
    target.masterSecretName,
    username,
    `Master user of ${target.clusterIdentifier} (aurora-restore)`,
  );
  await step("store-master-secret", {
    secretName: target.masterSecretName,
    secretArn: master.arn,
    versionId: master.versionId,
    versionStage: master.stage,
    reused: master.reused,
  });

  if (!done.has("set-master-password")) {
    await owned();
    await deps.rds(scope).modifyCluster({ clusterIdentifier, masterUserPassword: master.value.password });
    await step("set-master-password", { clusterIdentifier });
    // Written now (see flushAudit): a resumed configure must not reset the master password again.
    await flushAudit(operation.operationId);
  }

  const login = await connectOnceAccepted(
    deps.database,
    { host, port, database: target.database, user: username, password: master.value.password },
    { ...backoff, beforeAttempt: owned },
  );
  deps.metrics.durationMs(pipelineMetrics.masterPasswordWait, login.waitedMs, { stage: "configure" });
  await step("master-login-verified", { user: username, attempts: login.attempts, waitedMs: login.waitedMs });
  deps.logger.info("New master password accepted", {
    operationId: operation.operationId,
    clusterIdentifier,
    attempts: login.attempts,
  });

  const session = login.session;
  try {
    const users: { username: string; secretArn: string }[] = [];
    for (const user of target.applicationUsers) {
      await owned();
      const secret = await credentials(
        user.secretName,
        user.username,
        `Application user ${user.username} of ${target.clusterIdentifier} (aurora-restore)`,
      );
      if (!done.has(`user ${user.username}`)) {
        const created = await upsertRole(session, user.username, secret.value.password);
        await step(created ? "create-user" : "reset-user", {
          username: user.username,
          secretArn: secret.arn,
          versionId: secret.versionId,
          versionStage: secret.stage,
          reused: secret.reused,
        });
      }
      await grantAll(session, target.database, user, done, (grant, statement) =>
        step("grant", { username: user.username, ...grant, statement }),
      );
      users.push({ username: user.username, secretArn: secret.arn });
    }
    for (const [index, script] of target.postRestoreSql.entries()) {
      if (done.has(`post-restore-sql ${index}`)) continue;
      // The users and grants before it are recorded first: a delivery killed in the SQL resumes here.
      await flushAudit(operation.operationId);
      await owned();
      const result = await session.query(script.sql).catch((error: unknown) => {
        throw new PostRestoreSqlError(
          errorCodeOf(error),
          `Post-restore SQL "${script.name}" failed: ${errorMessageOf(error)}. Fix the statement in the plan and restore again.`,
        );
      });
      await step("post-restore-sql", { name: script.name, index, rowCount: result.rowCount });
      // The plan's SQL may not be safe to run twice: its record is written now, for a resumed configure.
      await flushAudit(operation.operationId);
    }
    deps.metrics.count(pipelineMetrics.applicationUsersConfigured, users.length, { stage: "configure" });
    return { masterSecretArn: master.arn, users };
  } finally {
    await session.close();
  }
}

/** CREATE or ALTER the role with LOGIN; the password goes over the wire as a SCRAM verifier only. */
async function upsertRole(session: DbSession, username: string, password: string): Promise<boolean> {
  const existing = await session.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", [username]);
  const role = session.escapeIdentifier(username);
  const verifier = session.escapeLiteral(scramVerifier(password));
  if (existing.rowCount > 0) {
    await session.query(`ALTER ROLE ${role} WITH LOGIN PASSWORD ${verifier}`);
    return false;
  }
  await session.query(`CREATE ROLE ${role} WITH LOGIN PASSWORD ${verifier}`);
  return true;
}

/**
 * GRANTs each privilege the plan gives the user, recording each statement (`grant`, with the plan's grant
 * for a table grant); skips the statements `done` lists as recorded by an earlier delivery.
 */
async function grantAll(
  session: DbSession,
  database: string,
  user: ApplicationUser,
  done: ReadonlySet<string>,
  record: (grant: Partial<Grant>, statement: string) => Promise<void>,
): Promise<void> {
  const role = session.escapeIdentifier(user.username);
  const grantOnce = async (statement: string, grant: Partial<Grant> = {}) => {
    if (done.has(`grant ${statement}`)) return;
    await session.query(statement);
    await record(grant, statement);
  };
  await grantOnce(`GRANT CONNECT ON DATABASE ${session.escapeIdentifier(database)} TO ${role}`);
  for (const grant of user.grants) {
    const privileges = grant.privileges.filter((p) => privilegeWords.has(p));
    if (privileges.length !== grant.privileges.length) {
      throw new Error(
        `Unknown privilege in ${grant.privileges.join(", ")}; the plan allows ${[...privilegeWords]}`,
      );
    }
    const schema = session.escapeIdentifier(grant.schema);
    await grantOnce(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
    if (grant.tables?.length === 0) continue;
    const on = grant.tables
      ? `TABLE ${grant.tables.map((t) => `${schema}.${session.escapeIdentifier(t)}`).join(", ")}`
      : `ALL TABLES IN SCHEMA ${schema}`;
    await grantOnce(`GRANT ${privileges.join(", ")} ON ${on} TO ${role}`, grant);
  }
}

/**
 * What an earlier delivery of this configure did and recorded before it died or lost its lease (audited
 * steps of this operation's configure): a resumed configure does not do it again. A delivery's records are
 * written together (kit/audit-buffer.ts), except that the master password and each post-restore statement
 * are recorded as soon as they are done, and what came before a statement just before it. So what runs twice
 * after a crash is the action cut short between its effect and its record, or the users and grants of a run
 * cut short before its SQL; each is harmless twice: the same master password (read back from the secret
 * version staged under the operation's id), ALTER ROLE with the same password after a CREATE ROLE, a GRANT
 * of a privilege held, the same masking statement. A first delivery reads nothing.
 */
async function doneEarlier(deps: StageDeps, operation: OperationInfo): Promise<ReadonlySet<string>> {
  const done = new Set<string>();
  if ((operation.attempts.configure ?? 0) <= 1) return done;
  const trail = await deps.audit.listByOperation(operation.operationId);
  // A retried operation's earlier runs did their work on credentials of their own: only this run's counts.
  const runStart = trail.findLast((e) => e.action === "retry-operation" && e.outcome === "started")?.at ?? "";
  for (const entry of trail) {
    if (entry.at < runStart) continue;
    if (entry.stage !== "configure" || entry.outcome !== "succeeded") continue;
    const details = entry.details ?? {};
    if (entry.action === "set-master-password") done.add("set-master-password");
    if (entry.action === "create-user" || entry.action === "reset-user") done.add(`user ${details.username}`);
    if (entry.action === "grant") done.add(`grant ${details.statement}`);
    if (entry.action === "post-restore-sql") done.add(`post-restore-sql ${details.index}`);
  }
  return done;
}
