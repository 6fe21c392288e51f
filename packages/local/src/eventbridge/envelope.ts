/** The EventBridge event envelope and the ARNs of buses, rules and archives. */

/** What every target receives: the envelope exactly as EventBridge builds it. */
export interface EventBridgeEvent {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  /** Present only on replayed events, between `region` and `resources` as in AWS's output. */
  "replay-name"?: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export const DEFAULT_ACCOUNT = "000000000000";
export const DEFAULT_REGION = "us-east-1";
export const DEFAULT_BUS_NAME = "default";

/** ISO-8601 to the second with a `Z`, as EventBridge writes `time` (no milliseconds). */
export function formatEventTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function busArn(account: string, region: string, name: string): string {
  return `arn:aws:events:${region}:${account}:event-bus/${name}`;
}

/** Rules on the default bus have no bus segment in their ARN; rules on custom buses do. */
export function ruleArn(account: string, region: string, busName: string, ruleName: string): string {
  const path = busName === DEFAULT_BUS_NAME ? ruleName : `${busName}/${ruleName}`;
  return `arn:aws:events:${region}:${account}:rule/${path}`;
}

export function archiveArn(account: string, region: string, name: string): string {
  return `arn:aws:events:${region}:${account}:archive/${name}`;
}

export function replayArn(account: string, region: string, name: string): string {
  return `arn:aws:events:${region}:${account}:replay/${name}`;
}

export interface ParsedEventsArn {
  region: string;
  account: string;
  resourceType: string;
  resource: string;
}

export function parseEventsArn(arn: string): ParsedEventsArn | undefined {
  const match = /^arn:aws[a-z-]*:events:([^:]*):([^:]*):([a-z-]+)\/(.+)$/.exec(arn);
  if (!match) return undefined;
  const [, region, account, resourceType, resource] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  return { region, account, resourceType, resource };
}

/** Builds the envelope with AWS's key order, inserting `replay-name` where AWS puts it. */
export function withReplayName(event: EventBridgeEvent, replayName: string): EventBridgeEvent {
  const { resources, detail, "replay-name": _previous, ...head } = event;
  return { ...head, "replay-name": replayName, resources, detail };
}
