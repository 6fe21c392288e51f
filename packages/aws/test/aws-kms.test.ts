import "aws-sdk-client-mock-vitest/extend";
import {
  DescribeKeyCommand,
  DisabledException,
  KMSClient,
  ListAliasesCommand,
  NotFoundException,
} from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createAwsKms } from "../src/aws-kms";
import { sdkError } from "./fixtures";

const kmsMock = mockClient(KMSClient);
const scope = { accountId: "222222222222", region: "eu-west-1" };
const keyArn = "arn:aws:kms:eu-west-1:222222222222:key/1234";

beforeEach(() => {
  kmsMock.reset();
});

describe("createAwsKms", () => {
  it("describes a key of its own account with DescribeKey alone: ListAliases is never granted (issue 10, item 1)", async () => {
    kmsMock.on(DescribeKeyCommand).resolves({
      KeyMetadata: { KeyId: "1234", Arn: keyArn, KeyManager: "CUSTOMER", Enabled: true, KeyState: "Enabled" },
    });
    kmsMock.on(ListAliasesCommand).rejects(sdkError("AccessDeniedException", "not authorized", 400));
    const key = await createAwsKms(scope).describeKey("alias/staging-rds");
    expect(kmsMock).toHaveReceivedCommandExactlyOnceWith(DescribeKeyCommand, { KeyId: "alias/staging-rds" });
    expect(kmsMock).not.toHaveReceivedCommand(ListAliasesCommand);
    expect(key).toEqual({
      accountId: "222222222222",
      region: "eu-west-1",
      keyId: "1234",
      arn: keyArn,
      keyManager: "CUSTOMER",
      enabled: true,
      aliases: ["alias/staging-rds"],
    });
  });

  it("recognises the AWS managed aws/rds key, which cannot be shared", async () => {
    kmsMock.on(DescribeKeyCommand).resolves({
      KeyMetadata: {
        KeyId: "5678",
        Arn: "arn:aws:kms:eu-west-1:222222222222:key/5678",
        KeyManager: "AWS",
        Enabled: true,
      },
    });
    const key = await createAwsKms(scope).describeKey("alias/aws/rds");
    expect(key).toMatchObject({ keyManager: "AWS", aliases: ["alias/aws/rds"] });
  });

  it("does not list aliases of another account's key (ListAliases cannot), keeping the alias it was named by", async () => {
    const alias = "arn:aws:kms:us-east-1:111111111111:alias/prod-rds";
    kmsMock.on(DescribeKeyCommand).resolves({
      KeyMetadata: {
        KeyId: "9999",
        Arn: "arn:aws:kms:us-east-1:111111111111:key/9999",
        KeyManager: "CUSTOMER",
        Enabled: false,
        KeyState: "Disabled",
      },
    });
    const key = await createAwsKms(scope).describeKey(alias);
    expect(kmsMock).not.toHaveReceivedCommand(ListAliasesCommand);
    expect(key).toMatchObject({
      accountId: "111111111111",
      region: "us-east-1",
      enabled: false,
      aliases: ["alias/prod-rds"],
    });
  });

  it.each([
    ["NotFoundException", new NotFoundException({ message: "Alias not found", $metadata: {} })],
    ["DisabledException", new DisabledException({ message: "disabled", $metadata: {} })],
    ["AccessDeniedException", sdkError("AccessDeniedException", "not allowed", 400)],
  ])("maps %s", async (code, exception) => {
    kmsMock.on(DescribeKeyCommand).rejects(exception);
    await expect(createAwsKms(scope).describeKey("alias/x")).rejects.toMatchObject({ code, service: "kms" });
  });
});
