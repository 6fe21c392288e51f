import "aws-sdk-client-mock-vitest/extend";
import {
  AuthorizationErrorException,
  NotFoundException,
  PublishCommand,
  SNSClient,
} from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createAwsSns, snsSubject } from "../src/aws-sns";
import { sdkError } from "./fixtures";

const snsMock = mockClient(SNSClient);
const scope = { accountId: "111111111111", region: "us-east-1" };
const topicArn = "arn:aws:sns:eu-west-1:111111111111:aurora-restore";

beforeEach(() => {
  snsMock.reset();
});

describe("createAwsSns", () => {
  it("publishes with string message attributes, in the topic's region", async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: "m-1" });
    const result = await createAwsSns(scope).publish({
      topicArn,
      subject: "Refresh of orders-staging succeeded",
      message: "details",
      attributes: { outcome: "succeeded", operationId: "op-1" },
    });
    expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: topicArn,
      Subject: "Refresh of orders-staging succeeded",
      Message: "details",
      MessageAttributes: {
        outcome: { DataType: "String", StringValue: "succeeded" },
        operationId: { DataType: "String", StringValue: "op-1" },
      },
    });
    expect(result).toEqual({ messageId: "m-1" });
    const client = snsMock.call(0).thisValue as SNSClient;
    expect(await client.config.region()).toBe("eu-west-1");
  });

  it("sends no MessageAttributes when there are none", async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: "m-2" });
    await createAwsSns(scope).publish({ topicArn, subject: "s", message: "m" });
    expect(snsMock.commandCalls(PublishCommand)[0]?.args[0].input).toEqual({
      TopicArn: topicArn,
      Subject: "s",
      Message: "m",
    });
  });

  it("keeps subjects within what SNS accepts", () => {
    expect(snsSubject("line one\nline two")).toBe("line one line two");
    expect(snsSubject("café")).toBe("caf?");
    const long = snsSubject(`Refresh of ${"x".repeat(200)}`);
    expect(long).toHaveLength(100);
    expect(long.endsWith("...")).toBe(true);
  });

  it.each([
    ["NotFoundException", new NotFoundException({ message: "Topic does not exist", $metadata: {} })],
    ["AuthorizationErrorException", new AuthorizationErrorException({ message: "no", $metadata: {} })],
    ["InvalidParameterException", sdkError("InvalidParameter", "Invalid parameter: Subject")],
  ])("maps %s", async (code, exception) => {
    snsMock.on(PublishCommand).rejects(exception);
    await expect(createAwsSns(scope).publish({ topicArn, subject: "s", message: "m" })).rejects.toMatchObject(
      {
        code,
        service: "sns",
      },
    );
  });
});
