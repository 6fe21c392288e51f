import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalSns } from "../../src/sns/local-sns";
import { expectAwsError, fileMode, staging, tempStateDir } from "../kms/helpers";

let state: Awaited<ReturnType<typeof tempStateDir>>;
let lines: string[];
let sns: LocalSns;
const fixedNow = () => new Date("2026-03-01T12:00:00.000Z");

beforeEach(async () => {
  state = await tempStateDir();
  lines = [];
  sns = new LocalSns({ stateDir: state.dir, console: { write: (line) => lines.push(line) }, now: fixedNow });
});
afterEach(() => state.cleanup());

describe("LocalSns", () => {
  it("creates topics with AWS-shaped ARNs, idempotently", async () => {
    const { topicArn } = await sns.createTopic({ ...staging, name: "aurora-restore-notifications" });
    expect(topicArn).toBe("arn:aws:sns:eu-west-1:222222222222:aurora-restore-notifications");
    expect(await sns.createTopic({ ...staging, name: "aurora-restore-notifications" })).toEqual({ topicArn });
  });

  it("refuses invalid topic names", async () => {
    await expectAwsError(
      sns.createTopic({ ...staging, name: "bad name" }),
      "InvalidParameterException",
      "sns",
    );
  });

  it("appends each publish as a JSON line and announces it on the console", async () => {
    const { topicArn } = await sns.createTopic({ ...staging, name: "notify" });
    const port = sns.port();
    const first = await port.publish({ topicArn, subject: "Restore succeeded", message: "staging is fresh" });
    const second = await port.publish({
      topicArn,
      subject: "Restore failed",
      message: "line one\nline two",
      attributes: { outcome: "failed" },
    });
    expect(first.messageId).not.toBe(second.messageId);

    const raw = (await readFile(join(state.dir, "sns", "messages.jsonl"), "utf8")).trimEnd().split("\n");
    expect(raw).toHaveLength(2);
    expect(JSON.parse(raw[1]!)).toEqual({
      messageId: second.messageId,
      topicArn,
      subject: "Restore failed",
      message: "line one\nline two",
      timestamp: "2026-03-01T12:00:00.000Z",
      attributes: { outcome: "failed" },
    });
    expect(fileMode((await stat(sns.messagesFile)).mode)).toBe(0o600);

    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain("notify: Restore succeeded");
    expect(lines[0]).toContain(first.messageId);
    expect(lines.every((line) => !line.includes("\n"))).toBe(true);
  });

  it("lists messages, all or per topic, and keeps them across instances", async () => {
    const a = await sns.createTopic({ ...staging, name: "a" });
    const b = await sns.createTopic({ ...staging, name: "b" });
    await sns.port().publish({ topicArn: a.topicArn, subject: "one", message: "1" });
    await sns.port().publish({ topicArn: b.topicArn, subject: "two", message: "2" });
    const fresh = new LocalSns({ stateDir: state.dir });
    expect((await fresh.listMessages()).map((m) => m.subject)).toEqual(["one", "two"]);
    expect((await fresh.listMessages(b.topicArn)).map((m) => m.message)).toEqual(["2"]);
    await fresh.port().publish({ topicArn: a.topicArn, subject: "three", message: "3" });
    expect((await sns.listMessages(a.topicArn)).map((m) => m.subject)).toEqual(["one", "three"]);
  });

  it("returns no messages before anything was published", async () => {
    expect(await sns.listMessages()).toEqual([]);
  });

  it("refuses to publish to a topic that does not exist", async () => {
    await sns.createTopic({ ...staging, name: "notify" });
    await expectAwsError(
      sns
        .port()
        .publish({ topicArn: "arn:aws:sns:eu-west-1:222222222222:missing", subject: "s", message: "m" }),
      "NotFoundException",
      "sns",
      /Topic does not exist/,
    );
    // Same name, other account: a different topic.
    await expectAwsError(
      sns
        .port()
        .publish({ topicArn: "arn:aws:sns:eu-west-1:111111111111:notify", subject: "s", message: "m" }),
      "NotFoundException",
      "sns",
    );
    expect(await sns.listMessages()).toEqual([]);
    expect(lines).toEqual([]);
  });

  it("refuses subjects and messages SNS refuses", async () => {
    const { topicArn } = await sns.createTopic({ ...staging, name: "notify" });
    const publish = (subject: string, message: string) => sns.port().publish({ topicArn, subject, message });
    await expectAwsError(publish("two\nlines", "m"), "InvalidParameterException", "sns", /Subject/);
    await expectAwsError(publish("x".repeat(101), "m"), "InvalidParameterException", "sns", /Subject/);
    await expectAwsError(publish("ok", ""), "InvalidParameterException", "sns", /Message/);
    await expectAwsError(
      publish("ok", "x".repeat(256 * 1024 + 1)),
      "InvalidParameterException",
      "sns",
      /Message/,
    );
    expect(await sns.listMessages()).toEqual([]);
  });

  it("keeps every message when publishes run concurrently", async () => {
    const { topicArn } = await sns.createTopic({ ...staging, name: "notify" });
    const ids = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        sns.port().publish({ topicArn, subject: `m${i}`, message: `${i}` }),
      ),
    );
    const listed = await sns.listMessages(topicArn);
    expect(listed.map((m) => m.messageId).sort()).toEqual(ids.map((r) => r.messageId).sort());
  });
});
