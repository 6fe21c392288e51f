import { createHash, createHmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { describe, expect, it } from "vitest";
import { createSqsSender, regionOfQueueUrl, SqsSendError, signRequest } from "../src/aws-sqs";

const credentials = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  sessionToken: "session-token-example",
};
const queueUrl = "https://sqs.eu-west-1.amazonaws.com/222222222222/aurora-restore-production-copy-dlq";
const at = new Date("2026-03-14T04:05:06.000Z");

/** node:crypto as the SDK signer's hash constructor. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | Uint8Array) {
    this.hash = secret ? createHmac("sha256", secret) : createHash("sha256");
  }
  update(data: string | Uint8Array) {
    this.hash.update(data);
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

describe("SQS SendMessage for the dead-letter queues", () => {
  it("signs exactly as the SDK's Signature V4 signer does", async () => {
    const body = JSON.stringify({ QueueUrl: queueUrl, MessageBody: '{"a":"ü"}' });
    const headers = { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.SendMessage" };
    const ours = signRequest({
      method: "POST",
      host: "sqs.eu-west-1.amazonaws.com",
      path: "/",
      headers,
      body,
      service: "sqs",
      region: "eu-west-1",
      credentials,
      at,
    });
    const sdk = await new SignatureV4({
      credentials,
      region: "eu-west-1",
      service: "sqs",
      sha256: NodeSha256 as never,
    }).sign(
      {
        method: "POST",
        protocol: "https:",
        hostname: "sqs.eu-west-1.amazonaws.com",
        path: "/",
        headers: {
          ...headers,
          host: "sqs.eu-west-1.amazonaws.com",
          "x-amz-content-sha256": ours["x-amz-content-sha256"] ?? "",
        },
        body,
      } as never,
      { signingDate: at },
    );
    expect(ours.authorization).toBe(
      (sdk as unknown as { headers: Record<string, string> }).headers.authorization,
    );
  });

  it("sends the JSON protocol request to the queue's regional endpoint and returns the message id", async () => {
    const sent: { url: string; init: RequestInit }[] = [];
    const sender = createSqsSender({
      queueUrl,
      credentials: async () => credentials,
      now: () => at,
      fetch: (async (url: string, init: RequestInit) => {
        sent.push({ url, init });
        return new Response(JSON.stringify({ MessageId: "m-1" }), { status: 200 });
      }) as typeof fetch,
    });
    await expect(sender.sendMessage("hello")).resolves.toBe("m-1");
    expect(sent[0]?.url).toBe("https://sqs.eu-west-1.amazonaws.com/");
    expect(JSON.parse(String(sent[0]?.init.body))).toEqual({ QueueUrl: queueUrl, MessageBody: "hello" });
    expect(sent[0]?.init.headers).toMatchObject({
      "x-amz-target": "AmazonSQS.SendMessage",
      "x-amz-security-token": "session-token-example",
      authorization: expect.stringMatching(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260314\/eu-west-1\/sqs\//,
      ),
    });
  });

  it("turns SQS's error answer into an error with its code", async () => {
    const sender = createSqsSender({
      queueUrl,
      credentials: async () => credentials,
      fetch: (async () =>
        new Response(JSON.stringify({ __type: "com.amazonaws.sqs#QueueDoesNotExist", message: "gone" }), {
          status: 400,
        })) as unknown as typeof fetch,
    });
    const error = await sender.sendMessage("x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqsSendError);
    expect(error).toMatchObject({ code: "QueueDoesNotExist", status: 400 });
  });

  it("refuses what is not a queue URL", () => {
    expect(regionOfQueueUrl(queueUrl)).toBe("eu-west-1");
    expect(() => createSqsSender({ queueUrl: "https://example.com/q" })).toThrow(/not an SQS queue URL/);
  });
});
