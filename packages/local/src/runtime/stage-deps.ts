import type { StageName } from "@aurora-restore/core/events/shapes";
import type {
  AccessScope,
  DatabasePort,
  EventPublisherPort,
  RdsPort,
} from "@aurora-restore/core/ports/index";
import { generatePassword } from "@aurora-restore/core/security/passwords";
import type { StageDeps } from "@aurora-restore/core/stages/kit";
import type { AuditLog } from "@aurora-restore/core/storage/audit";
import type { OperationStore } from "@aurora-restore/core/storage/operations";
import { stageActor } from "@aurora-restore/core/wiring/stage-actor";
import type { LocalKms } from "../kms/local-kms";
import type { LocalSecretsManager } from "../secrets/local-secrets";
import type { LocalSns } from "../sns/local-sns";
import { consoleLogger, type LineWriter, type LogLevel, type MetricsRecorder } from "./console-logger";
import type { PlanRegistry } from "./plan-registry";

/** What every stage shares on this machine; `depsFor` adds the per-stage parts (actor, logger, metrics). */
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

/** StageDeps for one stage, as its Lambda would get them in AWS (its own actor, logger and metrics). */
export function depsFor(shared: SharedDeps, stage: StageName | "cli"): StageDeps {
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
    actor: stageActor(stage),
    clock: shared.clock,
    generatePassword: () => generatePassword(),
    logger: consoleLogger(stage, shared.log, shared.logLevel ? { level: shared.logLevel } : {}),
    metrics: shared.metrics.forStage(stage),
    leaseOwner: shared.leaseOwner,
    ...(shared.leaseMs === undefined ? {} : { leaseMs: shared.leaseMs }),
  };
}
