import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { EventBridgeEvent } from "../../src/eventbridge/envelope";
import { LocalEventBridge, type LocalEventBridgeOptions } from "../../src/eventbridge/local-event-bridge";
import { createVirtualRuntime, type VirtualRuntime } from "../../src/eventbridge/runtime";

export function tempStateDir(): string {
  return mkdtempSync(path.join(tmpdir(), "eventbridge-test-"));
}

/** A bus on a virtual clock with a fresh state folder (or the one given, to test persistence). */
export function newEventBridge(
  options: Partial<LocalEventBridgeOptions> & { runtime?: VirtualRuntime } = {},
) {
  const runtime = options.runtime ?? createVirtualRuntime({ start: "2025-06-01T12:00:00Z", seed: 42 });
  const stateDir = options.stateDir ?? tempStateDir();
  const eb = new LocalEventBridge({
    account: "111111111111",
    region: "eu-west-1",
    ...options,
    stateDir,
    runtime,
  });
  return { eb, runtime, stateDir };
}

/** A target that records what it receives and can be told to fail. */
export function recorder(id = "recorder") {
  const received: EventBridgeEvent[] = [];
  return {
    id,
    received,
    invoke: async (event: EventBridgeEvent) => {
      received.push(event);
    },
  };
}

export function entry(detail: Record<string, unknown> = { n: 1 }, extra: Record<string, unknown> = {}) {
  return { Source: "app.test", DetailType: "Thing Happened", Detail: JSON.stringify(detail), ...extra };
}

export class TransientError extends Error {
  override name = "ThrottlingException";
  readonly retryable = true;
}
