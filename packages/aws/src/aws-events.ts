import type {
  AccessScope,
  AccountRegion,
  AwsErrorCode,
  EventPublisherPort,
  PutEventsEntry,
  PutEventsResult,
} from "@aurora-restore/core/ports/index";
import { AwsCallError } from "@aurora-restore/core/ports/index";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { type AwsAdapterOptions, type AwsClients, type ClientPool, poolFrom } from "./clients";
import { callAws, normaliseErrorCode } from "./errors";
import { omitUndefined } from "./sdk-shapes";

/** PutEvents takes at most 10 entries per call; 11 fail the whole call. */
export const maxEntriesPerCall = 10;
/** The legacy 256 KB request limit: safe everywhere; raise it to 1 MB where the newer limit applies. */
export const defaultMaxRequestBytes = 256 * 1024;

export interface AwsEventPublisherOptions extends AwsAdapterOptions<"eventBridge"> {
  /** Bus for entries that name none (EventBridge's `default` bus otherwise). */
  eventBusName?: string;
  maxRequestBytes?: number;
}

export interface FailedEntry {
  /** Position in the caller's list. */
  index: number;
  detailType: string;
  errorCode: string;
  errorMessage: string;
}

/** Some entries were not accepted. `failures` names them so a caller can resend exactly those. */
export class PutEventsFailedError extends AwsCallError {
  override name = "PutEventsFailedError";
  constructor(
    readonly failures: FailedEntry[],
    readonly result: PutEventsResult,
    code: AwsErrorCode,
    message: string,
  ) {
    super(code, message, "events");
  }
}

/** EventBridge clients from a pool: one per account, region and role. */
export function eventBridgeClients(pool: ClientPool): AwsClients["eventBridge"] {
  return (scope) => pool.client("events", scope, (config) => new EventBridgeClient(config));
}

/** EventBridge publishing: batches by count and size, and throws if any entry failed (nothing dropped silently). */
export function createAwsEventPublisher(
  scope: AccessScope,
  options: AwsEventPublisherOptions = {},
): EventPublisherPort {
  const clients = options.clients ?? { eventBridge: eventBridgeClients(poolFrom(options)) };
  const location: AccountRegion = { accountId: scope.accountId, region: scope.region };
  const maxBytes = options.maxRequestBytes ?? defaultMaxRequestBytes;

  return {
    async putEvents(entries) {
      const client = clients.eventBridge(scope);
      const result: PutEventsResult = { FailedEntryCount: 0, Entries: [] };
      let sent = 0;
      for (const batch of batches(entries, maxBytes)) {
        const first = sent + 1;
        const context = {
          service: "events" as const,
          operation: `PutEvents (entries ${first}-${sent + batch.length} of ${entries.length}; ${sent} already published)`,
          location,
        };
        const out = await callAws(context, () =>
          client.send(
            new PutEventsCommand({
              Entries: batch.map((entry) =>
                omitUndefined({ ...entry, EventBusName: entry.EventBusName ?? options.eventBusName }),
              ),
            }),
          ),
        );
        const outEntries = out.Entries ?? [];
        for (let i = 0; i < batch.length; i++) {
          const entry = outEntries[i];
          result.Entries.push(
            omitUndefined({
              EventId: entry?.EventId,
              ErrorCode: entry?.ErrorCode,
              ErrorMessage: entry?.ErrorMessage,
            }),
          );
        }
        result.FailedEntryCount += out.FailedEntryCount ?? 0;
        sent += batch.length;
      }
      const failures = failedEntries(entries, result);
      if (failures.length > 0 || result.FailedEntryCount > 0)
        throw failureError(entries.length, failures, result);
      return result;
    },
  };
}

/** Bytes EventBridge counts for an entry: 14 for Time, plus Source, DetailType, Detail and each resource. */
export function entrySize(entry: PutEventsEntry): number {
  const bytes = (text: string) => Buffer.byteLength(text, "utf8");
  return (
    (entry.Time ? 14 : 0) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, resource) => sum + bytes(resource), 0)
  );
}

/** Consecutive groups of at most 10 entries and maxBytes (an oversized entry goes alone; AWS reports it). */
export function batches(entries: PutEventsEntry[], maxBytes: number): PutEventsEntry[][] {
  const groups: PutEventsEntry[][] = [];
  let current: PutEventsEntry[] = [];
  let size = 0;
  for (const entry of entries) {
    const entryBytes = entrySize(entry);
    if (current.length > 0 && (current.length === maxEntriesPerCall || size + entryBytes > maxBytes)) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(entry);
    size += entryBytes;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

function failedEntries(entries: PutEventsEntry[], result: PutEventsResult): FailedEntry[] {
  return result.Entries.flatMap((entry, index) =>
    entry.ErrorCode || !entry.EventId
      ? [
          {
            index,
            detailType: entries[index]?.DetailType ?? "",
            errorCode: entry.ErrorCode ?? "UnknownError",
            errorMessage: entry.ErrorMessage ?? "no EventId returned for this entry",
          },
        ]
      : [],
  );
}

function failureError(total: number, failures: FailedEntry[], result: PutEventsResult): PutEventsFailedError {
  const codes = [
    ...new Set(failures.map((failure) => normaliseErrorCode({ name: failure.errorCode }, "events"))),
  ];
  // One non-retryable failure makes the whole error non-retryable: resending would fail again.
  const code =
    codes.find((candidate) => candidate !== "ThrottlingException" && candidate !== "ServiceUnavailable") ??
    codes[0] ??
    "UnknownError";
  const listed = failures
    .map(
      (failure) => `#${failure.index} "${failure.detailType}": ${failure.errorCode} ${failure.errorMessage}`,
    )
    .join("; ");
  const count = Math.max(failures.length, result.FailedEntryCount);
  return new PutEventsFailedError(
    failures,
    result,
    code,
    `PutEvents: ${count} of ${total} entries failed (the others were published; resend only the failed ones): ${listed}`,
  );
}
