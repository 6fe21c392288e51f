import { randomUUID } from "node:crypto";
import { appendFile, chmod, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { AccountRegion, NotificationPort } from "@aurora-restore/core/ports/index";
import { AwsCallError, type AwsErrorCode } from "@aurora-restore/core/ports/index";
import { ensurePrivateDir, readJsonFile, SerialQueue, writeJsonFileAtomic } from "../state-dir";

export interface PublishedMessage {
  messageId: string;
  topicArn: string;
  subject: string;
  message: string;
  timestamp: string;
  attributes?: Record<string, string>;
}

interface TopicsFile {
  version: 1;
  topics: { topicArn: string; createdAt: string }[];
}

const maxMessageBytes = 256 * 1024;
const maxSubjectChars = 100;

/**
 * SNS on this machine: topics per local account and region in `<stateDir>/sns/topics.json`; each publish is
 * appended as one JSON line to `<stateDir>/sns/messages.jsonl` and announced on the console writer, if given.
 */
export class LocalSns {
  readonly #dir: string;
  readonly #topicsFile: string;
  readonly messagesFile: string;
  readonly #console: { write(line: string): void } | undefined;
  readonly #now: () => Date;
  readonly #writes = new SerialQueue();

  constructor(options: { stateDir: string; console?: { write(line: string): void }; now?: () => Date }) {
    this.#dir = join(options.stateDir, "sns");
    this.#topicsFile = join(this.#dir, "topics.json");
    this.messagesFile = join(this.#dir, "messages.jsonl");
    this.#console = options.console;
    this.#now = options.now ?? (() => new Date());
  }

  /** Idempotent, as in AWS: creating an existing topic returns its ARN. */
  createTopic(input: AccountRegion & { name: string }): Promise<{ topicArn: string }> {
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(input.name) || !/^\d{12}$/.test(input.accountId)) {
      return Promise.reject(
        snsError(
          "InvalidParameterException",
          `Invalid topic '${input.name}' in account '${input.accountId}': names are 1 to 256 letters, digits, '-' or '_', accounts 12 digits`,
        ),
      );
    }
    const topicArn = `arn:aws:sns:${input.region}:${input.accountId}:${input.name}`;
    return this.#writes.run(async () => {
      const topics = await this.#readTopics();
      if (!topics.some((t) => t.topicArn === topicArn)) {
        topics.push({ topicArn, createdAt: this.#now().toISOString() });
        await ensurePrivateDir(this.#dir);
        const contents: TopicsFile = { version: 1, topics };
        await writeJsonFileAtomic(this.#topicsFile, contents);
      }
      return { topicArn };
    });
  }

  port(): NotificationPort {
    return { publish: (input) => this.#publish(input) };
  }

  /** Messages published so far, oldest first, optionally for one topic. */
  async listMessages(topicArn?: string): Promise<PublishedMessage[]> {
    let text: string;
    try {
      text = await readFile(this.messagesFile, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const messages = text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as PublishedMessage);
    return topicArn === undefined ? messages : messages.filter((m) => m.topicArn === topicArn);
  }

  #publish(input: Parameters<NotificationPort["publish"]>[0]): Promise<{ messageId: string }> {
    return this.#writes.run(async () => {
      const topics = await this.#readTopics();
      if (!topics.some((t) => t.topicArn === input.topicArn)) {
        throw snsError(
          "NotFoundException",
          `Topic does not exist: ${input.topicArn} (create it first, in the account and region the ARN names)`,
        );
      }
      validateMessage(input.subject, input.message);
      const record: PublishedMessage = {
        messageId: randomUUID(),
        topicArn: input.topicArn,
        subject: input.subject,
        message: input.message,
        timestamp: this.#now().toISOString(),
        ...(input.attributes === undefined ? {} : { attributes: { ...input.attributes } }),
      };
      await ensurePrivateDir(this.#dir);
      // One write per line: a reader never sees half a record from this process.
      await appendFile(this.messagesFile, `${JSON.stringify(record)}\n`, { mode: 0o600 });
      await chmod(this.messagesFile, 0o600);
      this.#console?.write(
        `[sns] ${topicName(record.topicArn)}: ${record.subject} (message ${record.messageId} in ${this.messagesFile})`,
      );
      return { messageId: record.messageId };
    });
  }

  async #readTopics(): Promise<TopicsFile["topics"]> {
    const parsed = await readJsonFile<TopicsFile>(this.#topicsFile);
    if (parsed === undefined) return [];
    if (parsed.version !== 1 || !Array.isArray(parsed.topics)) {
      throw new Error(
        `${this.#topicsFile} is not a local SNS topics file (version 1); move it away to start afresh`,
      );
    }
    return parsed.topics;
  }
}

/** SNS's limits: a subject of at most 100 printable ASCII characters on one line, a message of 1 B to 256 KB. */
function validateMessage(subject: string, message: string): void {
  if (subject.length === 0 || subject.length > maxSubjectChars || !/^[\x20-\x7E]+$/.test(subject)) {
    throw snsError(
      "InvalidParameterException",
      `Invalid parameter: Subject must be 1 to ${maxSubjectChars} printable ASCII characters without line breaks`,
    );
  }
  const bytes = Buffer.byteLength(message, "utf8");
  if (bytes === 0 || bytes > maxMessageBytes) {
    throw snsError(
      "InvalidParameterException",
      `Invalid parameter: Message must be 1 byte to 256 KB (got ${bytes} bytes)`,
    );
  }
}

function topicName(topicArn: string): string {
  return topicArn.slice(topicArn.lastIndexOf(":") + 1);
}

function snsError(code: AwsErrorCode, message: string): AwsCallError {
  return new AwsCallError(code, message, "sns");
}
