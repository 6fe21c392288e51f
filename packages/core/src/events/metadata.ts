import * as z from "zod";
import { eventId, operationId } from "./identifiers";

/**
 * Fields every domain event carries, so any consumer can correlate, trace causes and order by time
 * without reading the state table.
 */
export const eventMetadataShape = {
  operationId: operationId.describe("The restore operation this event belongs to"),
  correlationId: eventId.describe("Shared by every event of one operation (and the request that started it)"),
  causationId: eventId.describe("The id of the event (or request) that caused this one"),
  occurredAt: z.iso.datetime().describe("When the producer emitted the event (ISO 8601, UTC)"),
};

export const eventMetadataSchema = z.object(eventMetadataShape);
export type EventMetadata = z.infer<typeof eventMetadataSchema>;
