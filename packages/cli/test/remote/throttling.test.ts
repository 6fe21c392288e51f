import { describe, expect, it } from "vitest";
import { openDeployedStage } from "../../src/remote/deployed-stage";
import { putEntry } from "../../src/remote/publish";
import { region, stage } from "./support";

/**
 * The real SDK client, down to its retry strategy: only the HTTP exchange is faked. EventBridge answers
 * `answers` in turn (awsJson1_1: the error's type in the body's __type).
 */
function fakeEventBridge(answers: { status: number; body: unknown }[]) {
  const requests: string[] = [];
  return {
    requests,
    requestHandler: {
      async handle(request: { headers: Record<string, string>; body?: string }) {
        requests.push(request.headers["x-amz-target"] ?? "");
        const answer = answers[Math.min(requests.length - 1, answers.length - 1)]!;
        return {
          response: {
            statusCode: answer.status,
            headers: { "content-type": "application/x-amz-json-1.1" },
            body: new TextEncoder().encode(JSON.stringify(answer.body)),
          },
        };
      },
    },
  };
}

const credentials = { accessKeyId: "AKIATEST", secretAccessKey: "test-secret" };
const entry = {
  Source: "test.source",
  DetailType: "Test",
  Detail: "{}",
  EventBusName: "aurora-restore-test",
};
const throttled = { status: 400, body: { __type: "ThrottlingException", message: "Rate exceeded" } };

describe("throttling", () => {
  it("is retried by the SDK (adaptive mode) before the command sees it", async () => {
    const bus = fakeEventBridge([
      throttled,
      { status: 200, body: { FailedEntryCount: 0, Entries: [{ EventId: "ev-after-retry" }] } },
    ]);
    const deployed = await openDeployedStage(
      { stage, region },
      { credentials, requestHandler: bus.requestHandler as never },
    );
    try {
      expect(await putEntry(deployed, entry)).toEqual({ eventId: "ev-after-retry" });
      expect(bus.requests).toEqual(["AWSEvents.PutEvents", "AWSEvents.PutEvents"]);
    } finally {
      await deployed.close();
    }
  });

  it("is reported clearly once every attempt was throttled", async () => {
    const bus = fakeEventBridge([throttled]);
    const deployed = await openDeployedStage(
      { stage, region },
      { credentials, requestHandler: bus.requestHandler as never, maxAttempts: 2 },
    );
    try {
      await expect(putEntry(deployed, entry)).rejects.toThrow(
        "AWS throttled events:PutEvents on bus aurora-restore-test (ThrottlingException) through every retry with back-off: wait a minute and run it again",
      );
      expect(bus.requests).toHaveLength(2);
    } finally {
      await deployed.close();
    }
  });
});
