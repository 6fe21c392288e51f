/**
 * PutEvents request rules: 1 to 10 entries, AWS's size arithmetic, and per-entry validation whose failures
 * are reported in the response (as AWS does, HTTP 200 with FailedEntryCount) rather than thrown.
 */
import { EventBridgeError } from "./errors";
import { jsonTextDepth, MAX_DETAIL_DEPTH } from "./limits";

/** A PutEvents entry as the API takes it; every field is optional because AWS validates each entry. */
export interface PutEventsRequestEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: Date | string;
  TraceHeader?: string;
}

export interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

/** Same shape as the SDK's PutEventsResponse (and core's PutEventsResult). */
export interface PutEventsResponse {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

/**
 * Options only code inside the local AWS world passes. `awsServiceSource` says the caller *is* the AWS
 * service that owns that reserved source (the local RDS passes RDS_SOURCE): its entries with exactly that
 * Source are accepted. Everyone else is refused any `aws.*` Source, as AWS refuses it to every account.
 */
export interface PutEventsOptions {
  awsServiceSource?: string;
}

/** Sources AWS reserves for its own services: PutEvents refuses them (NotAuthorizedForSourceException). */
export const RESERVED_SOURCE_PREFIX = "aws.";

export const MAX_ENTRIES_PER_REQUEST = 10;
/** The current limit (since Jan 2026); the legacy one was 256 KB (LEGACY_MAX_REQUEST_SIZE_BYTES). */
export const DEFAULT_MAX_REQUEST_SIZE_BYTES = 1024 * 1024;
export const LEGACY_MAX_REQUEST_SIZE_BYTES = 256 * 1024;
export const MAX_DETAIL_TYPE_LENGTH = 128;

const utf8Length = (text: string) => Buffer.byteLength(text, "utf8");

/**
 * An entry's size as AWS documents it (eb-putevent-size): 14 bytes when Time is given, plus the UTF-8 bytes
 * of Source, DetailType, Detail and every Resources entry. EventBusName and TraceHeader do not count.
 */
export function putEventsEntrySize(entry: PutEventsRequestEntry): number {
  if (typeof entry !== "object" || entry === null) return 0;
  let size = entry.Time !== undefined ? 14 : 0;
  if (typeof entry.Source === "string") size += utf8Length(entry.Source);
  if (typeof entry.DetailType === "string") size += utf8Length(entry.DetailType);
  if (typeof entry.Detail === "string") size += utf8Length(entry.Detail);
  if (Array.isArray(entry.Resources)) {
    for (const resource of entry.Resources) if (typeof resource === "string") size += utf8Length(resource);
  }
  return size;
}

/** Whole-request checks: these fail the call with ValidationException, as AWS does. */
export function validatePutEventsRequest(
  entries: readonly PutEventsRequestEntry[],
  maxSizeBytes: number,
): void {
  if (!Array.isArray(entries) || entries.length < 1) {
    throw new EventBridgeError(
      "ValidationException",
      "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  if (entries.length > MAX_ENTRIES_PER_REQUEST) {
    throw new EventBridgeError(
      "ValidationException",
      `1 validation error detected: Value '[...${entries.length} entries]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES_PER_REQUEST}`,
    );
  }
  const total = entries.reduce((sum, entry) => sum + putEventsEntrySize(entry), 0);
  if (total > maxSizeBytes) {
    throw new EventBridgeError(
      "ValidationException",
      "Total size of the entries in the request is over the limit.",
    );
  }
}

export interface ValidEntry {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
  resources: string[];
  time?: Date;
}

export type EntryCheck =
  | { ok: true; entry: ValidEntry }
  | { ok: false; errorCode: string; errorMessage: string };

const invalid = (parameter: string, reason: string): EntryCheck => ({
  ok: false,
  errorCode: "InvalidArgument",
  errorMessage: `Parameter ${parameter} is not valid. Reason: ${reason}`,
});

/**
 * Per-entry checks, in AWS's order (Source, DetailType, Detail), with AWS's codes and messages; a Detail
 * nested deeper than MAX_DETAIL_DEPTH is refused before it is parsed (our limit; AWS's is 1000 levels).
 */
export function checkPutEventsEntry(
  entry: PutEventsRequestEntry,
  options: PutEventsOptions = {},
): EntryCheck {
  if (typeof entry !== "object" || entry === null) return invalid("Source", "Source is a required argument.");
  if (typeof entry.Source !== "string" || entry.Source === "")
    return invalid("Source", "Source is a required argument.");
  if (entry.Source.startsWith(RESERVED_SOURCE_PREFIX) && entry.Source !== options.awsServiceSource) {
    return {
      ok: false,
      errorCode: "NotAuthorizedForSourceException",
      errorMessage: "Not authorized for the source.",
    };
  }
  if (typeof entry.DetailType !== "string" || entry.DetailType === "") {
    return invalid("DetailType", "DetailType is a required argument.");
  }
  if (entry.DetailType.length > MAX_DETAIL_TYPE_LENGTH) {
    // AWS documents the 128-character limit; this reason's wording is ours.
    return invalid("DetailType", `DetailType must be at most ${MAX_DETAIL_TYPE_LENGTH} characters.`);
  }
  if (typeof entry.Detail !== "string" || entry.Detail === "")
    return invalid("Detail", "Detail is a required argument.");
  const depth = jsonTextDepth(entry.Detail, MAX_DETAIL_DEPTH);
  if (depth > MAX_DETAIL_DEPTH) {
    return invalid(
      "Detail",
      `Detail is nested more than ${MAX_DETAIL_DEPTH} levels deep (the local EventBridge's limit).`,
    );
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail);
  } catch {
    detail = undefined;
  }
  // Only a JSON object is a detail: a string, an array, a number or a serialized object string is not.
  if (typeof detail !== "object" || detail === null || Array.isArray(detail)) {
    return { ok: false, errorCode: "MalformedDetail", errorMessage: "Detail is malformed." };
  }
  const resources = entry.Resources ?? [];
  if (!Array.isArray(resources) || resources.some((r) => typeof r !== "string")) {
    return invalid("Resources", "Resources must be a list of strings.");
  }
  let time: Date | undefined;
  if (entry.Time !== undefined) {
    if (!(entry.Time instanceof Date) && typeof entry.Time !== "string" && typeof entry.Time !== "number")
      return invalid("Time", "Time is not a valid timestamp.");
    time = entry.Time instanceof Date ? entry.Time : new Date(entry.Time);
    if (Number.isNaN(time.getTime())) return invalid("Time", "Time is not a valid timestamp.");
  }
  return {
    ok: true,
    entry: {
      source: entry.Source,
      detailType: entry.DetailType,
      detail: detail as Record<string, unknown>,
      resources: [...resources],
      ...(time ? { time } : {}),
    },
  };
}
