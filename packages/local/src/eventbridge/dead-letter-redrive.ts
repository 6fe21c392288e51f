import type { DeadLetterQueue } from "./dead-letter-queue";
import type { DeliveryJob } from "./delivery";
import type { EventBus } from "./event-bus";
import type { EventBridgeRuntime } from "./runtime";

export interface RedriveResult {
  redriven: string[];
  skipped: { messageId: string; reason: string }[];
}

/** What re-driving needs from the bus (LocalEventBridge.redriveDeadLetters). */
export interface RedriveHost {
  readonly deadLetters: DeadLetterQueue;
  readonly runtime: EventBridgeRuntime;
  busByArn(arn: string): EventBus | undefined;
  schedule(jobs: DeliveryJob[]): void;
}

/**
 * Re-drives dead-lettered events to the target that failed them (not to the whole bus: the other
 * targets already had them), with a fresh retry budget. A message whose rule or target no longer exists
 * stays in the queue and is reported as skipped; a re-driven message leaves the queue, and comes back as
 * a new message if the target fails again.
 */
export function redriveDeadLetters(
  host: RedriveHost,
  options: { messageIds?: string[] } = {},
): RedriveResult {
  const wanted = options.messageIds ? new Set(options.messageIds) : undefined;
  const result: RedriveResult = { redriven: [], skipped: [] };
  const jobs: DeliveryJob[] = [];
  for (const message of host.deadLetters.list()) {
    if (wanted && !wanted.has(message.messageId)) continue;
    const rule = host.busByArn(message.eventBusArn)?.findRule(message.ruleArn);
    const target = rule?.targets.get(message.targetId);
    if (!rule || !target) {
      const reason = rule
        ? `target ${message.targetId} no longer exists`
        : `rule ${message.ruleArn} no longer exists`;
      result.skipped.push({ messageId: message.messageId, reason });
      continue;
    }
    host.deadLetters.remove(message.messageId);
    jobs.push({
      event: message.event,
      ruleArn: rule.arn,
      ruleName: rule.name,
      eventBusArn: message.eventBusArn,
      target,
      receivedAtMs: host.runtime.now().getTime(),
    });
    result.redriven.push(message.messageId);
  }
  for (const id of wanted ?? []) {
    if (!result.redriven.includes(id) && !result.skipped.some((s) => s.messageId === id)) {
      result.skipped.push({ messageId: id, reason: "no such message" });
    }
  }
  host.schedule(jobs);
  return result;
}
