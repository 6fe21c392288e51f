import type { AnyDomainEventContract, DomainEventDetail, ParsedEnvelope } from "../../src/events/contract";
import { AwsCallError } from "../../src/ports/errors";
import type { PutEventsEntry } from "../../src/ports/events";
import type { AccountRegion } from "../../src/ports/location";
import type { NotificationPort } from "../../src/ports/notifications";

/** The pipeline bus and the SNS topic: what the stages publish, kept for the test to read and deliver on. */

/** Records published entries; `delivered` turns them back into EventBridge events for the next stage. */
export class RecordingPublisher {
  readonly entries: PutEventsEntry[] = [];
  private failuresLeft = 0;

  /** @param bus where the bus lives (the envelopes' account and region) */
  constructor(private readonly bus: AccountRegion) {}

  failNext(times = 1): void {
    this.failuresLeft = times;
  }

  putEvents = async (entries: PutEventsEntry[]) => {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new AwsCallError("ServiceUnavailable", "PutEvents failed", "events");
    }
    this.entries.push(...entries);
    return {
      FailedEntryCount: 0,
      Entries: entries.map((_, i) => ({ EventId: `evt-${this.entries.length + i}` })),
    };
  };

  detailTypes(): string[] {
    return this.entries.map((e) => e.DetailType);
  }

  /** Every published event of the contract as EventBridge hands it to a Lambda: the raw envelope. */
  envelopes(contract: AnyDomainEventContract) {
    return this.entries.flatMap((entry, index) =>
      entry.DetailType === contract.detailType ? [this.envelopeOf(entry, `evt-${index + 1}`)] : [],
    );
  }

  /** Every published event of the contract, as the stage that subscribes receives it. */
  delivered<C extends AnyDomainEventContract>(
    contract: C,
  ): (ParsedEnvelope<DomainEventDetail<C>> & { detailType: C["detailType"] })[] {
    return this.envelopes(contract).map((envelope) => ({
      ...contract.parseEnvelope(envelope),
      detailType: contract.detailType,
    })) as (ParsedEnvelope<DomainEventDetail<C>> & { detailType: C["detailType"] })[];
  }

  /** The one published event of the contract (fails the test when there is not exactly one). */
  only<C extends AnyDomainEventContract>(contract: C) {
    const events = this.delivered(contract);
    if (events.length !== 1) {
      throw new Error(
        `expected one ${contract.detailType}, got ${events.length}: ${this.detailTypes().join(", ")}`,
      );
    }
    return events[0]!;
  }

  private envelopeOf(entry: PutEventsEntry, id: string) {
    return {
      version: "0",
      id,
      "detail-type": entry.DetailType,
      source: entry.Source,
      account: this.bus.accountId,
      time: (entry.Time ?? new Date(0)).toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: this.bus.region,
      resources: entry.Resources ?? [],
      detail: JSON.parse(entry.Detail) as Record<string, unknown>,
    };
  }
}

export class FakeSns implements NotificationPort {
  readonly published: Parameters<NotificationPort["publish"]>[0][] = [];
  publish = async (input: Parameters<NotificationPort["publish"]>[0]) => {
    this.published.push(input);
    return { messageId: `msg-${this.published.length}` };
  };
}
