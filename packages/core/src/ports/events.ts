/** A PutEvents entry as EventBridge takes it. */
export interface PutEventsEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: Date;
}

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: { EventId?: string; ErrorCode?: string; ErrorMessage?: string }[];
}

/** Publishing to the pipeline's bus. Implementations must throw when an entry failed: nothing is dropped. */
export interface EventPublisherPort {
  putEvents(entries: PutEventsEntry[]): Promise<PutEventsResult>;
}
