import { randomBytes } from "node:crypto";
import type {
  AccessScope,
  DatabasePort,
  EventPublisherPort,
  RdsPort,
} from "@aurora-restore/core/ports/index";
import type { StageDeps } from "@aurora-restore/core/stages/kit";
import type { AuditLog } from "@aurora-restore/core/storage/audit";
import type { OperationStore } from "@aurora-restore/core/storage/operations";
import type { LocalKms } from "../kms/local-kms";
import type { LocalSecretsManager } from "../secrets/local-secrets";
import type { LocalSns } from "../sns/local-sns";
import { consoleLogger, type LineWriter, type LogLevel, type MetricsRecorder } from "./console-logger";
import type { PlanRegistry } from "./plan-registry";

/** What every stage shares on this machine; `depsFor` adds the per-service parts (actor, logger, metrics). */
export interface SharedDeps {
  store: OperationStore;
  audit: AuditLog;
  publisher: EventPublisherPort;
  plans: PlanRegistry;
  rds(scope: AccessScope): RdsPort;
  kms: LocalKms;
  secrets: LocalSecretsManager;
  sns: LocalSns;
  database: DatabasePort;
  busName: string;
  topicArn: string;
  clock: () => Date;
  log: LineWriter;
  /** The stages' log level (default info). */
  logLevel?: LogLevel;
  metrics: MetricsRecorder;
  /** This runtime's name in lease holders (see endLeasesOfDeadOwners), and an optional lease length. */
  leaseOwner: string;
  leaseMs?: number;
}

/**
 * A strong password RDS accepts (printable ASCII without '/', '@', '"' or spaces): 32 characters of
 * base64url from 24 random bytes, with a fixed prefix so it always holds a letter and a digit.
 */
export function generateLocalPassword(): string {
  return `Ar9${randomBytes(24).toString("base64url")}`;
}

/** StageDeps for one service, as its Lambda would get them in AWS (its own actor, logger and metrics). */
export function depsFor(shared: SharedDeps, service: string): StageDeps {
  const location = (scope: AccessScope) => ({ accountId: scope.accountId, region: scope.region });
  return {
    store: shared.store,
    audit: shared.audit,
    publisher: shared.publisher,
    plans: shared.plans,
    rds: (scope) => shared.rds(scope),
    kms: (scope) => shared.kms.port(location(scope)),
    secrets: (scope) => shared.secrets.port(location(scope)),
    notifications: shared.sns.port(),
    database: shared.database,
    busName: shared.busName,
    topicArn: shared.topicArn,
    actor: `aurora-restore/${service}`,
    clock: shared.clock,
    generatePassword: generateLocalPassword,
    logger: consoleLogger(service, shared.log, shared.logLevel ? { level: shared.logLevel } : {}),
    metrics: shared.metrics.forService(service),
    leaseOwner: shared.leaseOwner,
    ...(shared.leaseMs === undefined ? {} : { leaseMs: shared.leaseMs }),
  };
}
