import { randomUUID } from "node:crypto";
import type { AccountRegion } from "@aurora-restore/core/ports/index";
import type { StageDeps } from "@aurora-restore/core/stages/kit";
import type { StageHandlerModule } from "./stage-wiring";

/**
 * A scheduled rule for one stage (the watcher's `rate(1 minute)` in AWS, faster locally): invokes the
 * handler with an EventBridge "Scheduled Event", never two runs at once (a tick that finds the previous run
 * still going is skipped, as a slow Lambda with reserved concurrency 1 would be throttled).
 */
export class WatcherSchedule {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  readonly ruleArn: string;

  constructor(
    private readonly options: {
      stage: string;
      handler: StageHandlerModule;
      deps: StageDeps;
      location: AccountRegion;
      intervalMs: number;
      clock: () => Date;
      onError(error: unknown): void;
    },
  ) {
    const { region, accountId } = options.location;
    this.ruleArn = `arn:aws:events:${region}:${accountId}:rule/aurora-restore-${options.stage}-schedule`;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
  }

  /** One run now, unless one is in progress (then that one's completion). */
  runOnce(): Promise<void> {
    this.#running ??= this.#invoke().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  async #invoke(): Promise<void> {
    const { accountId, region } = this.options.location;
    const event = {
      version: "0",
      id: randomUUID(),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: accountId,
      time: this.options
        .clock()
        .toISOString()
        .replace(/\.\d{3}Z$/, "Z"),
      region,
      resources: [this.ruleArn],
      detail: {},
    };
    try {
      await this.options.handler.handle(event, this.options.deps);
    } catch (error) {
      this.options.onError(error);
    }
  }
}
