/**
 * The dead-letter queue, persisted as one JSON file per message under the state folder so that nothing a
 * target failed to take is lost across restarts; messages are listed oldest first and removed on re-drive.
 * The fields mirror the SQS message attributes EventBridge sets on DLQ messages (RULE_ARN, TARGET_ARN,
 * ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION, RETRY_ATTEMPTS).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { EventBridgeEvent } from "./envelope";
import type { ExhaustedRetryCondition } from "./retry";

export interface DeadLetterMessage {
  messageId: string;
  /** When the message was dead-lettered (ISO-8601, from the bus clock). */
  sentAt: string;
  ruleArn: string;
  ruleName: string;
  eventBusArn: string;
  targetId: string;
  /** Set when the target is an event bus (a forwarding rule). */
  targetArn?: string;
  errorCode: string;
  errorMessage: string;
  /** Invocations made, the first one included. */
  attempts: number;
  /** Retries made (attempts - 1): what AWS reports as RETRY_ATTEMPTS. */
  retryAttempts: number;
  /** Which RetryPolicy limit ran out; null when the error was not retriable and no retry was made. */
  exhaustedRetryCondition: ExhaustedRetryCondition | null;
  retriable: boolean;
  /**
   * Set when the message was dead-lettered because the bus stopped (LocalEventBridge.stop) while the
   * delivery waited for a retry or had not been attempted yet: a local extra, re-drivable like any other.
   */
  interruptedBy?: "stop";
  event: EventBridgeEvent;
}

const FILE_SUFFIX = ".json";

export class DeadLetterQueue {
  constructor(readonly directory: string) {}

  /**
   * Writes atomically (temp file + rename): a crash leaves either the whole message or none. Compact
   * JSON: indenting a deeply nested event costs depth x lines of spaces (a 3,000-level event made 9 MB).
   */
  add(message: DeadLetterMessage): void {
    mkdirSync(this.directory, { recursive: true });
    // The timestamp prefix makes directory order the dead-letter order.
    const stamp = String(new Date(message.sentAt).getTime()).padStart(15, "0");
    const file = path.join(this.directory, `${stamp}-${message.messageId}${FILE_SUFFIX}`);
    const temp = `${file}.tmp`;
    writeFileSync(temp, `${JSON.stringify(message)}\n`);
    renameSync(temp, file);
  }

  private files(): string[] {
    try {
      return readdirSync(this.directory)
        .filter((name) => name.endsWith(FILE_SUFFIX))
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
  }

  list(): DeadLetterMessage[] {
    return this.files().map(
      (name) => JSON.parse(readFileSync(path.join(this.directory, name), "utf8")) as DeadLetterMessage,
    );
  }

  get(messageId: string): DeadLetterMessage | undefined {
    return this.list().find((m) => m.messageId === messageId);
  }

  /** Deletes a message; returns whether it was there. */
  remove(messageId: string): boolean {
    const name = this.files().find((n) => n.endsWith(`-${messageId}${FILE_SUFFIX}`));
    if (!name) return false;
    rmSync(path.join(this.directory, name));
    return true;
  }
}
