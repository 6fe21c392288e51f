/** From PutEvents to deliveries: the events a request makes, and the deliveries each produces on its bus. */
import type { RouteOptions } from "./archives";
import type { DeliveryJob } from "./delivery";
import { type EventBridgeEvent, formatEventTime } from "./envelope";
import { isEventBridgeError } from "./errors";
import type { EventBus } from "./event-bus";
import type { Sender } from "./local-event-bridge";
import { flattenEvent } from "./matcher";
import {
  checkPutEventsEntry,
  type PutEventsOptions,
  type PutEventsRequestEntry,
  type PutEventsResponse,
  type PutEventsResultEntry,
  validatePutEventsRequest,
} from "./put-events";
import type { EventBridgeRuntime } from "./runtime";

/** The deliveries an event produces on a bus: one per target of every enabled matching rule. */
export function routeEvent(bus: EventBus, event: EventBridgeEvent, options: RouteOptions): DeliveryJob[] {
  const jobs: DeliveryJob[] = [];
  for (const rule of bus.matchingRules(flattenEvent(event))) {
    if (options.ruleFilter && !options.ruleFilter.has(rule.arn) && !options.ruleFilter.has(rule.name))
      continue;
    for (const target of rule.targets.values()) {
      // One hop only: an event that arrived from another bus is not forwarded to a third one.
      if (target.kind === "bus" && options.forwardedFrom) continue;
      jobs.push({
        event,
        ruleArn: rule.arn,
        ruleName: rule.name,
        eventBusArn: bus.arn,
        target,
        receivedAtMs: options.receivedAtMs,
        ...(options.forwardedFrom ? { forwardedFrom: options.forwardedFrom } : {}),
      });
    }
  }
  return jobs;
}

/** What PutEvents needs from the bus (LocalEventBridge.putEvents). */
export interface PutEventsHost {
  readonly account: string;
  readonly region: string;
  readonly runtime: EventBridgeRuntime;
  readonly maxRequestSizeBytes: number;
  resolveBus(nameOrArn: string | undefined, account: string, region: string): EventBus | undefined;
  schedule(jobs: DeliveryJob[]): void;
}

/**
 * PutEvents. Whole-request problems (0 or more than 10 entries, over the size limit) throw
 * ValidationException; a bad entry is reported in its result slot and the others still go through.
 * Unlike AWS (which acknowledges and silently drops events for a bus that does not exist), an unknown
 * EventBusName fails that entry with ResourceNotFoundException: locally, nothing is dropped silently.
 *
 * As in AWS, an `aws.*` Source is refused (NotAuthorizedForSourceException): only AWS services publish
 * those. The local AWS services say who they are with `options.awsServiceSource` (the local RDS passes
 * RDS_SOURCE and may publish only that source); application code never passes it.
 */
export async function putEvents(
  host: PutEventsHost,
  entries: PutEventsRequestEntry[],
  sender: Sender = {},
  options: PutEventsOptions = {},
): Promise<PutEventsResponse> {
  validatePutEventsRequest(entries, host.maxRequestSizeBytes);
  const account = sender.account ?? host.account;
  const region = sender.region ?? host.region;
  const now = host.runtime.now();
  const results: PutEventsResultEntry[] = [];
  const jobs: DeliveryJob[] = [];
  for (const entry of entries) {
    const check = checkPutEventsEntry(entry, options);
    if (!check.ok) {
      results.push({ ErrorCode: check.errorCode, ErrorMessage: check.errorMessage });
      continue;
    }
    const bus = host.resolveBus(entry.EventBusName, account, region);
    if (!bus) {
      results.push({
        ErrorCode: "ResourceNotFoundException",
        ErrorMessage: `Event bus ${entry.EventBusName} does not exist.`,
      });
      continue;
    }
    const event: EventBridgeEvent = {
      version: "0",
      id: host.runtime.uuid(),
      "detail-type": check.entry.detailType,
      source: check.entry.source,
      account,
      time: formatEventTime(check.entry.time ?? now),
      region,
      resources: check.entry.resources,
      detail: check.entry.detail,
    };
    let routed: DeliveryJob[];
    try {
      routed = routeEvent(bus, event, { receivedAtMs: now.getTime() });
    } catch (error) {
      // An event the matcher refuses (EventTooComplexError) is refused here, before any delivery.
      if (!isEventBridgeError(error)) throw error;
      results.push({ ErrorCode: "InvalidArgument", ErrorMessage: error.message });
      continue;
    }
    jobs.push(...routed);
    results.push({ EventId: event.id });
  }
  host.schedule(jobs);
  return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
}
