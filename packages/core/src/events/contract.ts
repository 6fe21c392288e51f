import { ParseError } from "@aws-lambda-powertools/parser/errors";
import * as z from "zod";
import type { PutEventsEntry } from "../ports/events";
import { accountId, anyArn, eventId, nameText, region, replayName, textLimits } from "./identifiers";
import { type EventMetadata, eventMetadataShape } from "./metadata";
import { PIPELINE_SOURCE } from "./names";
import { printable } from "./printable";

/** A rule pattern selecting exactly one contract's events. */
export type ContractPattern = {
  source: string[];
  "detail-type": string[];
};

export interface DomainEventContract<Name extends string, Shape extends z.ZodRawShape> {
  readonly detailType: Name;
  readonly source: string;
  readonly version: number;
  readonly description: string;
  /** The service that emits it (by service name), for the catalogue. */
  readonly producers: readonly string[];
  readonly schema: z.ZodObject<typeof eventMetadataShape & Shape & { schemaVersion: z.ZodLiteral<number> }>;
  pattern(): ContractPattern;
  /** A PutEvents entry for this event; the detail is validated first so a bad event is never sent. */
  entry(detail: DomainEventInput<this>, options: { busName: string; resources?: string[] }): PutEventsEntry;
  /** Parses a full EventBridge event (Powertools EventBridgeEnvelope) into this contract's detail. */
  parse(event: unknown): DomainEventDetail<this>;
  /** Parses the envelope too: id, time and replay-name matter for idempotency and audit. */
  parseEnvelope(event: unknown): ParsedEnvelope<DomainEventDetail<this>>;
}

// biome-ignore lint/suspicious/noExplicitAny: generic bound for any contract
export type AnyDomainEventContract = DomainEventContract<string, any>;
export type DomainEventDetail<C extends AnyDomainEventContract> = z.infer<C["schema"]>;
export type DomainEventInput<C extends AnyDomainEventContract> = Omit<DomainEventDetail<C>, "schemaVersion">;

export interface ParsedEnvelope<Detail> {
  id: string;
  source: string;
  detailType: string;
  account: string;
  region: string;
  time: string;
  resources: string[];
  replayName?: string;
  detail: Detail;
}

export class EventContractError extends Error {
  override name = "EventContractError";
}

/**
 * Powertools' EventBridge envelope (parser `EventBridgeSchema`: the same fields, in its order) with every
 * field bounded: an id, account, region or resource list no EventBridge event could carry is refused before
 * the detail is even looked at. Written out rather than `EventBridgeSchema.extend(...)`: Powertools' schema
 * modules import zod's `z` namespace object, which puts all of zod's locales (~267 KB) into every handler
 * bundle. A test (envelope-schema.test.ts) checks that it accepts nothing Powertools' schema refuses.
 */
export const boundedEventBridgeSchema = z.object({
  version: nameText(16),
  id: eventId,
  source: nameText(256),
  account: accountId,
  time: z.iso.datetime(),
  region,
  resources: z
    .array(anyArn)
    .max(textLimits.list, { message: `at most ${textLimits.list} resources`, abort: true }),
  "detail-type": nameText(256),
  detail: z.unknown(),
  "replay-name": replayName.optional(),
});

/** Declares a domain event once: its detail-type, source, version, schema and documentation. */
export function defineEvent<Name extends string, Shape extends z.ZodRawShape>(declaration: {
  detailType: Name;
  version: number;
  description: string;
  producers: readonly string[];
  shape: Shape;
}): DomainEventContract<Name, Shape> {
  const schema = z.object({
    ...eventMetadataShape,
    ...declaration.shape,
    schemaVersion: z.literal(declaration.version),
  });
  const source = PIPELINE_SOURCE;
  const envelopeSchema = boundedEventBridgeSchema.extend({ detail: schema });
  const contract: DomainEventContract<Name, Shape> = {
    detailType: declaration.detailType,
    source,
    version: declaration.version,
    description: declaration.description,
    producers: declaration.producers,
    // The cast restates the schema's inferred type with the generic shape; z.object builds exactly it.
    schema: schema as unknown as DomainEventContract<Name, Shape>["schema"],
    pattern: () => ({ source: [source], "detail-type": [declaration.detailType] }),
    entry(detail, options) {
      const checked = schema.safeParse({ ...detail, schemaVersion: declaration.version });
      if (!checked.success) {
        throw new EventContractError(
          `Refusing to publish an invalid ${declaration.detailType}: ${z.prettifyError(checked.error)}`,
        );
      }
      return {
        Source: source,
        DetailType: declaration.detailType,
        Detail: JSON.stringify(checked.data),
        EventBusName: options.busName,
        Resources: options.resources ?? [],
        Time: new Date((checked.data as EventMetadata).occurredAt),
      };
    },
    parse(event) {
      const parsed = envelopeSchema.safeParse(event);
      if (!parsed.success) {
        throw new ParseError("Failed to parse EventBridge envelope", { cause: parsed.error });
      }
      return parsed.data.detail as never;
    },
    parseEnvelope(event) {
      const envelope = envelopeSchema.parse(event);
      if (envelope.source !== source || envelope["detail-type"] !== declaration.detailType) {
        throw new EventContractError(
          `Expected ${source}/${declaration.detailType}, got ${printable(envelope.source, 128)}/${printable(envelope["detail-type"], 128)}`,
        );
      }
      return {
        id: envelope.id,
        source: envelope.source,
        detailType: envelope["detail-type"],
        account: envelope.account,
        region: envelope.region,
        time: envelope.time,
        resources: envelope.resources,
        replayName: envelope["replay-name"],
        detail: envelope.detail as never,
      };
    },
  };
  return contract;
}
