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

/** A record of a stage run after its first: what an item's `followedBy` holds (same operation, target and actor). */
type FollowingRecord = Pick<AuditRecord, "stage" | "action" | "outcome" | "eventId" | "details"> & {
  at: string;
};

type StoredEntry = AuditEntryInfo & { followedBy?: FollowingRecord[]; lastAt?: string };

/** A time-ordered, collision-free sort key: ISO time, then random bits. */
export function auditEntryId(at: string): string {
  return `${at}#${randomBytes(6).toString("hex")}`;
}

/**
 * An item as the entries it holds: itself, then each record of its `followedBy`, with an entry id of their own
 * (the item's, then `.1`, `.2`, ...: still time-ordered after the item's).
 */
function entriesOf(item: StoredEntry): AuditEntryInfo[] {
  const { followedBy, lastAt: _lastAt, ...first } = item;
  const entries: AuditEntryInfo[] = [first];
  for (const [index, record] of (followedBy ?? []).entries()) {
    entries.push({
      operationId: item.operationId,
      targetKey: item.targetKey,
      actor: item.actor,
      expiresAt: item.expiresAt,
      ...record,
      entryId: `${item.entryId}.${String(index + 1).padStart(3, "0")}`,
    });
  }
  return entries;
}

function flatten(items: readonly StoredEntry[]): AuditEntryInfo[] {
  // Two deliveries' items may interleave in time: the flattened trail is ordered by time, then entry id.
  return items
    .flatMap(entriesOf)
    .sort((a, b) => (a.at === b.at ? (a.entryId < b.entryId ? -1 : 1) : a.at < b.at ? -1 : 1));
}

/** The append-only audit trail. There is deliberately no update or delete here. */
export function createAuditLog(client: DynamoDBDocumentClient, table: string) {
  const entries = auditEntity(client, table);

  /**
   * Appends the records of one stage run (one operation, in the order they happened) as one item: the first
   * record, with the others in its `followedBy`. Returns them as the readers list them.
   */
  async function appendRun(
    records: readonly (AuditRecord & { at: string })[],
    options: { compliance: ComplianceProfile; entryId?: string },
  ): Promise<AuditEntryInfo[]> {
    const [first, ...rest] = records;
    if (!first) return [];
    const days = complianceProfiles[options.compliance];
    // The item's TTL counts from its last record: each record is kept at least the profile's days.
    const last = rest.at(-1) ?? first;
    const expiresAt = Math.floor(Date.parse(last.at) / 1000) + days * 86_400;
    const clean = (details: Record<string, unknown> | undefined) =>
      sanitize(details ?? {}) as Record<string, unknown>;
    const followedBy = rest.map(({ stage, action, outcome, eventId, details, at }) => ({
      stage,
      action,
      outcome,
      at,
      ...(eventId ? { eventId } : {}),
      details: clean(details),
    }));
    const item: StoredEntry = {
      ...first,
      details: clean(first.details),
      entryId: options.entryId ?? auditEntryId(first.at),
      expiresAt,
      ...(followedBy.length > 0 ? { followedBy, lastAt: followedBy.at(-1)?.at } : {}),
    };
    await entries.create(item).go();
    return entriesOf(item);
  }

  return {
    appendRun,
    async append(
      record: AuditRecord,
      options: { at: string; compliance: ComplianceProfile; entryId?: string },
    ) {
      const [entry] = await appendRun([{ ...record, at: options.at }], options);
      return entry as AuditEntryInfo;
    },
    async listByOperation(operationId: string): Promise<AuditEntryInfo[]> {
      const { data } = await entries.query.byOperation({ operationId }).go({ pages: "all" });
      return flatten(data as StoredEntry[]);
    },
    /**
     * Every entry written at or after `at` (ISO time), whatever its operation: a Scan of the table, for an
     * operator's report over a time window (aurora-restore replay); the stages never call it.
     */
    async listWrittenSince(at: string): Promise<AuditEntryInfo[]> {
      const { data } = await entries.scan
        .where((attribute, { gte }) => `${gte(attribute.at, at)} OR ${gte(attribute.lastAt, at)}`)
        .go({ pages: "all" });
      return flatten(data as StoredEntry[]).filter((entry) => entry.at >= at);
    },
    async listByTarget(targetKey: string): Promise<AuditEntryInfo[]> {
      const { data } = await entries.query.byTarget({ targetKey }).go({ pages: "all" });
      return flatten(data as StoredEntry[]);
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
