import { join } from "node:path";
import { RestoreCompleted, RestoreVerified } from "@aurora-restore/core";
import { PIPELINE_SOURCE } from "@aurora-restore/core/events/names";
import { operationIdFor } from "@aurora-restore/core/operation/ids";
import type { Plan, PlanTarget } from "@aurora-restore/core/plan/index";
import { isAwsCallError } from "@aurora-restore/core/ports/index";
import type { AuditEntryInfo, AuditLog } from "@aurora-restore/core/storage/audit";
import type { OperationInfo, OperationStore } from "@aurora-restore/core/storage/operations";
import { stageTimings } from "../runtime/operation-progress";
import type { LocalRuntime } from "../runtime/start-local-runtime";

export interface DemoResult {
  operationId: string;
  status: "succeeded" | "failed" | "running";
  stages: { name: string; startedAt: string; endedAt: string; durationMs: number }[];
  target: {
    clusterId: string;
    endpoint: string;
    port: number;
    accountId: string;
    region: string;
    database: string;
  };
  checks: { name: string; passed: boolean; detail?: string }[];
  stateDir: string;
  error?: { stage: string; code: string; message: string };
  connect: {
    caFile: string;
    psql: string;
    /** Secret names (never values) and how to read one. */
    secrets: { username: string; secretName: string }[];
    masterSecretName: string;
    readPassword: string;
  };
  audit: { command: string; entries: number; stagesInOrder: string[] };
  notification: { file: string; subject?: string; messageId?: string };
  replacedCluster?: string;
  totalMs: number;
}

/** The operation the snapshot started for this target (the trigger derives it; here it is looked up). */
export async function findOperationFor(
  runtime: { store: Pick<OperationStore, "listByTarget">; audit: Pick<AuditLog, "listByOperation"> },
  targetKey: string,
  snapshotArn: string,
  options: { timeoutMs: number; signal?: AbortSignal; sleep?(ms: number): Promise<void> },
): Promise<string> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + options.timeoutMs;
  const operationId = operationIdFor({ snapshotArn, targetKey });
  for (;;) {
    const found = (await runtime.store.listByTarget(targetKey)).find(
      (op) => op.sourceSnapshot.arn === snapshotArn,
    );
    if (found) return found.operationId;
    // The trigger refused it (the target busy, say): say why now rather than wait for the deadline.
    const refused = (await runtime.audit.listByOperation(operationId)).find((e) => e.outcome === "rejected");
    if (refused) {
      throw new Error(
        `No operation started for ${targetKey} from ${snapshotArn}: ${String(refused.details?.reason ?? refused.outcome)}`,
      );
    }
    if (options.signal?.aborted) throw new Error("Interrupted: every local server was stopped");
    if (Date.now() > deadline) {
      throw new Error(
        `No operation started for ${targetKey} from ${snapshotArn}: the snapshot event did not reach the trigger. ` +
          "Check 'aurora-restore local dlq list' and the log in <state>/logs/pipeline.log.",
      );
    }
    await sleep(200);
  }
}

interface ArchivedDomainEvent {
  "detail-type": string;
  detail: Record<string, unknown>;
}

/** The operation's events as the pipeline bus archived them (the demo reads check results from here). */
export function operationEvents(runtime: LocalRuntime, operationId: string): ArchivedDomainEvent[] {
  return runtime.bridge
    .archivedEvents(runtime.archives.pipeline.archiveName)
    .map((a) => a.event as unknown as ArchivedDomainEvent & { source: string })
    .filter((e) => e.source === PIPELINE_SOURCE && e.detail?.operationId === operationId);
}

export async function summarize(
  runtime: LocalRuntime,
  input: {
    operation: OperationInfo;
    trail: AuditEntryInfo[];
    plan: Plan;
    target: PlanTarget;
    startedAtMs: number;
  },
): Promise<DemoResult> {
  const { operation, trail, target } = input;
  const events = operationEvents(runtime, operation.operationId);
  const verified = events.find((e) => e["detail-type"] === RestoreVerified.detailType);
  const checks = ((verified?.detail.checks ?? []) as DemoResult["checks"]).map((c) => ({
    name: c.name,
    passed: c.passed,
    ...(c.detail ? { detail: c.detail } : {}),
  }));
  const completed = events.find((e) => e["detail-type"] === RestoreCompleted.detailType);
  const cluster = await runtime.rds
    .port(target)
    .describeCluster(target.clusterIdentifier)
    .catch((error: unknown) => {
      if (isAwsCallError(error, "DBClusterNotFoundFault")) return undefined;
      throw error;
    });
  const endpoint = cluster?.endpoint ?? "";
  const port = cluster?.port ?? 0;
  const reader = target.applicationUsers.at(-1);
  const readPassword = reader
    ? `npx aurora-restore local secret get ${reader.secretName} --field password`
    : `npx aurora-restore local secret get ${target.masterSecretName} --field password`;
  const psql =
    `PGPASSWORD="$(${readPassword})" psql "host=${endpoint} port=${port} dbname=${target.database} ` +
    `user=${reader?.username ?? "<master user>"} sslmode=verify-full sslrootcert=${runtime.rds.caFile}"`;
  const messages = await runtime.sns.listMessages(runtime.topicArn);
  const notification = [...messages].reverse().find((m) => m.message.includes(operation.operationId));
  const stagesInOrder = [...new Set(trail.map((e) => e.stage))];
  return {
    operationId: operation.operationId,
    status: operation.status,
    stages: stageTimings(operation, trail).flatMap((s) =>
      s.endedAt
        ? [{ name: s.name, startedAt: s.startedAt, endedAt: s.endedAt, durationMs: s.durationMs ?? 0 }]
        : [],
    ),
    target: {
      clusterId: target.clusterIdentifier,
      endpoint,
      port,
      accountId: target.accountId,
      region: target.region,
      database: target.database,
    },
    checks,
    stateDir: runtime.stateDir,
    ...(operation.error ? { error: operation.error } : {}),
    connect: {
      caFile: runtime.rds.caFile,
      psql,
      secrets: target.applicationUsers.map((u) => ({ username: u.username, secretName: u.secretName })),
      masterSecretName: target.masterSecretName,
      readPassword,
    },
    audit: {
      command: `npx aurora-restore audit ${operation.operationId}`,
      entries: trail.length,
      stagesInOrder,
    },
    notification: {
      file: runtime.sns.messagesFile,
      ...(notification ? { subject: notification.subject, messageId: notification.messageId } : {}),
    },
    ...(typeof completed?.detail.replacedClusterIdentifier === "string"
      ? { replacedCluster: completed.detail.replacedClusterIdentifier }
      : {}),
    totalMs: Date.now() - input.startedAtMs,
  };
}

/** The human summary (stdout without --json). Secret names only; passwords are read with an explicit command. */
export function formatSummary(result: DemoResult): string {
  const ok = result.status === "succeeded";
  const lines = [
    "",
    ok
      ? `Refreshed ${result.target.clusterId} (${result.target.accountId}, ${result.target.region}) in ${(result.totalMs / 1000).toFixed(1)} s`
      : `Refresh of ${result.target.clusterId} ${result.status}${result.error ? ` in ${result.error.stage}: ${result.error.code}: ${result.error.message}` : ""}`,
    `  operation:     ${result.operationId}`,
    "  stages:        " +
      result.stages.map((s) => `${s.name} ${(s.durationMs / 1000).toFixed(1)}s`).join(", "),
  ];
  if (result.replacedCluster)
    lines.push(
      `  cutover:       replaced the previous ${result.target.clusterId} (moved away as ${result.replacedCluster}, then deleted)`,
    );
  if (result.checks.length > 0) {
    lines.push("  verification:");
    for (const check of result.checks)
      lines.push(
        `    ${check.passed ? "PASS" : "FAIL"} ${check.name}${check.detail ? ` (${check.detail})` : ""}`,
      );
  }
  if (ok) {
    lines.push(
      `  endpoint:      ${result.target.endpoint}:${result.target.port}, database ${result.target.database}`,
      `  secrets:       ${result.connect.secrets.map((s) => `${s.secretName} (${s.username})`).join(", ")}; master: ${result.connect.masterSecretName}`,
      "  connect:",
      `    ${result.connect.psql}`,
      `  CA:            ${result.connect.caFile}`,
    );
  }
  lines.push(
    `  audit trail:   ${result.audit.entries} entries (${result.audit.stagesInOrder.join(" → ")}): ${result.audit.command}`,
    `  notification:  ${result.notification.subject ?? "(none found)"} in ${result.notification.file}`,
    `  state:         ${result.stateDir} (logs in ${join(result.stateDir, "logs", "pipeline.log")})`,
    "  run again:     npm start   (refreshes the same target again: cutover of an existing cluster)",
    "",
  );
  return lines.join("\n");
}
