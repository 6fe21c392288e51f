import { createHash, createHmac } from "node:crypto";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import type { AwsCredentials, CredentialProvider } from "./clients";

/**
 * SQS SendMessage for one queue, over SQS's JSON protocol signed with Signature Version 4. The handlers use
 * it for one thing: a rejected event goes to its service's dead-letter queue at once (stage-handler.ts),
 * instead of Lambda retrying it twice. Written against the documented wire protocol so the functions need
 * no other SDK package; the signature is checked against the SDK's own signer in the tests.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */

export interface SqsSenderOptions {
  /** `https://sqs.<region>.amazonaws.com/<account>/<queue>` */
  queueUrl: string;
  /** Default: the SDK's default provider chain (in Lambda, the function role's credentials). */
  credentials?: CredentialProvider;
  fetch?: typeof fetch;
  now?: () => Date;
}

export interface SqsSender {
  readonly queueUrl: string;
  /** Sends one message; resolves with its MessageId, throws SqsSendError on any refusal. */
  sendMessage(body: string): Promise<string>;
}

export class SqsSendError extends Error {
  override name = "SqsSendError";
  constructor(
    message: string,
    readonly code: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const queueUrlPattern =
  /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/(\d{12})\/([A-Za-z0-9_-]{1,80})$/;

/** The region of a queue URL, or undefined when it is not one. */
export function regionOfQueueUrl(queueUrl: string): string | undefined {
  return queueUrlPattern.exec(queueUrl)?.[1];
}

export function createSqsSender(options: SqsSenderOptions): SqsSender {
  const region = regionOfQueueUrl(options.queueUrl);
  if (!region) {
    throw new Error(
      `${options.queueUrl} is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue>)`,
    );
  }
  const url = new URL(options.queueUrl);
  const endpoint = `${url.protocol}//${url.host}/`;
  const credentials = options.credentials ?? defaultCredentials();
  const send = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());
  return {
    queueUrl: options.queueUrl,
    async sendMessage(body) {
      const payload = JSON.stringify({ QueueUrl: options.queueUrl, MessageBody: body });
      const headers = signRequest({
        method: "POST",
        host: url.host,
        path: "/",
        headers: {
          "content-type": "application/x-amz-json-1.0",
          "x-amz-target": "AmazonSQS.SendMessage",
        },
        body: payload,
        service: "sqs",
        region,
        credentials: await credentials(),
        at: now(),
      });
      const response = await send(endpoint, { method: "POST", headers, body: payload });
      const text = await response.text();
      const answer = parseJson(text);
      if (!response.ok) {
        const type = String(answer.__type ?? answer.code ?? `HTTP${response.status}`);
        const code = type.split("#").pop() ?? type;
        const message = String(answer.message ?? answer.Message ?? text.slice(0, 300));
        throw new SqsSendError(
          `SendMessage to ${options.queueUrl} failed: ${code}: ${message}`,
          code,
          response.status,
        );
      }
      return String(answer.MessageId ?? "");
    },
  };
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * The SDK's default provider chain (memoized until shortly before expiry), the one every SDK client uses:
 * taken from its own package so that the functions need no SDK client to send a dead letter.
 */
function defaultCredentials(): CredentialProvider {
  const provider = defaultProvider();
  return async () => provider();
}

const sha256Hex = (data: string) => createHash("sha256").update(data, "utf8").digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data, "utf8").digest();

/** `20150830T123600Z` */
function amzDate(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/**
 * Signature Version 4 of one request with a body and no query string: returns the headers to send
 * (the given ones, host, x-amz-date, x-amz-content-sha256, x-amz-security-token and authorization).
 */
export function signRequest(input: {
  method: string;
  host: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  service: string;
  region: string;
  credentials: AwsCredentials;
  at: Date;
}): Record<string, string> {
  const date = amzDate(input.at);
  const day = date.slice(0, 8);
  const bodyHash = sha256Hex(input.body);
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v.trim()])),
    host: input.host,
    "x-amz-date": date,
    "x-amz-content-sha256": bodyHash,
    ...(input.credentials.sessionToken ? { "x-amz-security-token": input.credentials.sessionToken } : {}),
  };
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(";");
  const canonicalRequest = [
    input.method,
    input.path,
    "",
    ...names.map((name) => `${name}:${headers[name]}`),
    "",
    signedHeaders,
    bodyHash,
  ].join("\n");
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", date, scope, sha256Hex(canonicalRequest)].join("\n");
  const key = [day, input.region, input.service, "aws4_request"].reduce<string | Buffer>(
    (k, part) => hmac(k, part),
    `AWS4${input.credentials.secretAccessKey}`,
  );
  const signature = createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}
