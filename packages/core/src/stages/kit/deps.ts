import type { Plan } from "../../plan/schema";
import type { DatabasePort } from "../../ports/database";
import type { EventPublisherPort } from "../../ports/events";
import type { KmsPort } from "../../ports/kms";
import type { AccessScope } from "../../ports/location";
import type { NotificationPort } from "../../ports/notifications";
import type { RdsPort } from "../../ports/rds";
import type { SecretsPort } from "../../ports/secrets";
import type { AuditLog } from "../../storage/audit";
import type { OperationStore } from "../../storage/operations";

export interface PlanSource {
  list(): Promise<Plan[]>;
  /** Throws a clear error naming the plan id when it is unknown. */
  get(planId: string): Promise<Plan>;
}

/** Structured logging without secrets (Powertools Logger in Lambda, a console logger locally). */
export interface StageLogger {
  /** Written only at debug level (POWERTOOLS_LOG_LEVEL in Lambda, the local runtime's logLevel); optional. */
  debug?(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface StageMetrics {
  count(name: string, value?: number, dimensions?: Record<string, string>): void;
  durationMs(name: string, ms: number, dimensions?: Record<string, string>): void;
}

/**
 * Everything a stage's domain function needs, injected: the AWS adapters in Lambda, the local
 * implementations on the embedded default, fakes in unit tests.
 */
export interface StageDeps {
  store: OperationStore;
  audit: AuditLog;
  publisher: EventPublisherPort;
  plans: PlanSource;
  rds(scope: AccessScope): RdsPort;
  kms(scope: AccessScope): KmsPort;
  secrets(scope: AccessScope): SecretsPort;
  notifications: NotificationPort;
  database: DatabasePort;
  /** Name of the pipeline's custom bus. */
  busName: string;
  /** SNS topic for notifications (a plan may name its own). */
  topicArn?: string;
  /** The service or user acting, for audit entries. */
  actor: string;
  clock(): Date;
  /** Strong random password for master/application users (never logged). */
  generatePassword(): string;
  logger: StageLogger;
  metrics: StageMetrics;
  /** How long a claim on a step lasts before another delivery may take it over (default: lease.ts). */
  leaseMs?: number;
  /** Names this process in lease holders (the local runtime expires a dead process's leases at start). */
  leaseOwner?: string;
}
