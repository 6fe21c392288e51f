import { randomBytes } from "node:crypto";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type ComplianceProfile, complianceProfiles } from "../plan/schema";
import { sanitize } from "../security/secret-names";
import { type AuditOutcome, auditEntity } from "./audit-entity";

export interface AuditRecord {
  operationId: string;
  targetKey: string;
  stage: string;
  action: string;
  actor: string;
  outcome: AuditOutcome;
  eventId?: string;
  details?: Record<string, unknown>;
}

export interface AuditEntryInfo extends AuditRecord {
  entryId: string;
  at: string;
  expiresAt: number;
}

/** A time-ordered, collision-free sort key: ISO time, then random bits. */
export function auditEntryId(at: string): string {
  return `${at}#${randomBytes(6).toString("hex")}`;
}

/** The append-only audit trail. There is deliberately no update or delete here. */
export function createAuditLog(client: DynamoDBDocumentClient, table: string) {
  const entries = auditEntity(client, table);
  return {
    async append(
      record: AuditRecord,
      options: { at: string; compliance: ComplianceProfile; entryId?: string },
    ) {
      const days = complianceProfiles[options.compliance];
      const expiresAt = Math.floor(Date.parse(options.at) / 1000) + days * 86_400;
      const entry = {
        ...record,
        details: sanitize(record.details ?? {}) as Record<string, unknown>,
        entryId: options.entryId ?? auditEntryId(options.at),
        at: options.at,
        expiresAt,
      };
      await entries.create(entry).go();
      return entry as AuditEntryInfo;
    },
    async listByOperation(operationId: string): Promise<AuditEntryInfo[]> {
      const { data } = await entries.query.byOperation({ operationId }).go({ pages: "all" });
      return data as AuditEntryInfo[];
    },
    /**
     * Every entry written at or after `at` (ISO time), whatever its operation: a Scan of the table, for an
     * operator's report over a time window (aurora-restore replay); the stages never call it.
     */
    async listWrittenSince(at: string): Promise<AuditEntryInfo[]> {
      const { data } = await entries.scan
        .where((attribute, { gte }) => gte(attribute.at, at))
        .go({ pages: "all" });
      return data as AuditEntryInfo[];
    },
    async listByTarget(targetKey: string): Promise<AuditEntryInfo[]> {
      const { data } = await entries.query.byTarget({ targetKey }).go({ pages: "all" });
      return data as AuditEntryInfo[];
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
