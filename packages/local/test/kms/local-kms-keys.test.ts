import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalKms } from "../../src/kms/local-kms";
import { expectAwsError, outsider, prod, staging, stagingInProdRegion, tempStateDir } from "./helpers";

let state: Awaited<ReturnType<typeof tempStateDir>>;
let kms: LocalKms;

beforeEach(async () => {
  state = await tempStateDir();
  kms = new LocalKms({ stateDir: state.dir });
});
afterEach(() => state.cleanup());

describe("LocalKms keys", () => {
  it("creates a regional customer key with an ARN formed as AWS forms it", async () => {
    const key = await kms.createKey({ ...prod, alias: "alias/prod-share", description: "share key" });
    expect(key.arn).toMatch(/^arn:aws:kms:us-east-1:111111111111:key\/[0-9a-f-]{36}$/);
    expect(key.arn.endsWith(`key/${key.keyId}`)).toBe(true);
    expect(key).toMatchObject({
      ...prod,
      keyManager: "CUSTOMER",
      enabled: true,
      aliases: ["alias/prod-share"],
    });
  });

  it("describes a key by key id, key ARN, alias name and alias ARN", async () => {
    const key = await kms.createKey({ ...prod, alias: "alias/prod-share" });
    for (const ref of [
      key.keyId,
      key.arn,
      "alias/prod-share",
      "arn:aws:kms:us-east-1:111111111111:alias/prod-share",
    ]) {
      expect(await kms.describeKey(prod, ref)).toEqual(key);
    }
  });

  it("exposes describeKey through the pipeline's KmsPort", async () => {
    const key = await kms.createKey({ ...prod, alias: "alias/prod-share" });
    const port = kms.port(prod);
    expect(port.location).toEqual(prod);
    expect(await port.describeKey("alias/prod-share")).toEqual(key);
    await expectAwsError(port.describeKey("alias/missing"), "NotFoundException", "kms", /alias\/missing/);
  });

  it("refuses a duplicate alias in the same account and region, but not elsewhere", async () => {
    await kms.createKey({ ...prod, alias: "alias/shared-name" });
    await expectAwsError(
      kms.createKey({ ...prod, alias: "alias/shared-name" }),
      "InvalidParameterException",
      "kms",
      /already exists/,
    );
    const other = await kms.createKey({ ...staging, alias: "alias/shared-name" });
    expect(other.accountId).toBe(staging.accountId);
  });

  it("refuses malformed and reserved aliases and bad account ids", async () => {
    await expectAwsError(kms.createKey({ ...prod, alias: "no-prefix" }), "InvalidParameterException", "kms");
    await expectAwsError(
      kms.createKey({ ...prod, alias: "alias/aws/rds" }),
      "InvalidParameterException",
      "kms",
      /reserved/,
    );
    await expectAwsError(
      kms.createKey({ accountId: "12", region: "us-east-1" }),
      "InvalidParameterException",
      "kms",
    );
    await expectAwsError(
      kms.createKey({ ...prod, policy: { allowAccounts: ["not-an-account"] } }),
      "InvalidParameterException",
      "kms",
    );
  });

  it("creates the aws/rds default key on first use, once per account and region", async () => {
    const first = await kms.defaultRdsKey(prod);
    expect(first).toMatchObject({ ...prod, keyManager: "AWS", aliases: ["alias/aws/rds"] });
    expect(await kms.defaultRdsKey(prod)).toEqual(first);
    expect(await kms.describeKey(prod, "alias/aws/rds")).toEqual(first);
    const elsewhere = await kms.defaultRdsKey(staging);
    expect(elsewhere.arn).not.toBe(first.arn);
  });

  it("creates an AWS managed key when its predefined alias is first referenced, as AWS does", async () => {
    const described = await kms.describeKey(prod, "alias/aws/secretsmanager");
    expect(described).toMatchObject({ keyManager: "AWS", aliases: ["alias/aws/secretsmanager"] });
    expect(await kms.defaultKey(prod, "alias/aws/secretsmanager")).toEqual(described);
    await expectAwsError(kms.defaultKey(prod, "alias/custom"), "NotFoundException", "kms");
  });

  it("creates the default key once under concurrent first use", async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => kms.defaultRdsKey(prod)));
    expect(new Set(keys.map((k) => k.arn)).size).toBe(1);
  });

  it("does not find a key from another region (keys are regional)", async () => {
    const key = await kms.createKey({ ...prod, alias: "alias/prod-share" });
    const otherRegion = { accountId: prod.accountId, region: "eu-west-1" };
    await expectAwsError(kms.describeKey(otherRegion, key.arn), "NotFoundException", "kms", /regional/);
    await expectAwsError(kms.describeKey(otherRegion, key.keyId), "NotFoundException", "kms");
    await expectAwsError(kms.describeKey(otherRegion, "alias/prod-share"), "NotFoundException", "kms");
    await expectAwsError(
      kms.encrypt({ caller: otherRegion, keyRef: key.arn, plaintext: Buffer.from("x") }),
      "NotFoundException",
      "kms",
    );
  });

  it("denies an account that is neither the owner nor in the key policy, saying how to fix it", async () => {
    const key = await kms.createKey({ ...prod });
    const error = await expectAwsError(
      kms.describeKey(stagingInProdRegion, key.arn),
      "AccessDeniedException",
      "kms",
    );
    expect(error.message).toContain(key.arn);
    expect(error.message).toContain(stagingInProdRegion.accountId);
    expect(error.message).toMatch(/add 222222222222 to the key policy/);
    await expectAwsError(
      kms.generateDataKey({ caller: stagingInProdRegion, keyRef: key.arn }),
      "AccessDeniedException",
      "kms",
    );
  });

  it("lets accounts the policy allows use the key by its full ARN", async () => {
    const key = await kms.createKey({ ...prod, policy: { allowAccounts: [stagingInProdRegion.accountId] } });
    expect(await kms.describeKey(stagingInProdRegion, key.arn)).toEqual(key);
    await expectAwsError(kms.describeKey(outsider, key.arn), "AccessDeniedException", "kms");
  });

  it("resolves alias names and key ids only in the caller's own account", async () => {
    const key = await kms.createKey({
      ...prod,
      alias: "alias/prod-share",
      policy: { allowAccounts: [outsider.accountId] },
    });
    await expectAwsError(
      kms.describeKey(outsider, "alias/prod-share"),
      "NotFoundException",
      "kms",
      /full key ARN/,
    );
    await expectAwsError(kms.describeKey(outsider, key.keyId), "NotFoundException", "kms");
    // The caller's own key with the same alias name wins, as in AWS.
    const own = await kms.createKey({ ...outsider, alias: "alias/prod-share" });
    expect((await kms.describeKey(outsider, "alias/prod-share")).arn).toBe(own.arn);
  });

  it("changes who may use a key with putKeyPolicy, owner only", async () => {
    const key = await kms.createKey({ ...prod });
    await expectAwsError(kms.describeKey(stagingInProdRegion, key.arn), "AccessDeniedException", "kms");
    await kms.putKeyPolicy(key.arn, prod, { allowAccounts: [stagingInProdRegion.accountId] });
    expect((await kms.describeKey(stagingInProdRegion, key.arn)).arn).toBe(key.arn);
    await expectAwsError(
      kms.putKeyPolicy(key.arn, stagingInProdRegion, { allowAccounts: [outsider.accountId] }),
      "AccessDeniedException",
      "kms",
      /only its owner/,
    );
    await kms.putKeyPolicy(key.keyId, prod, { allowAccounts: [] });
    await expectAwsError(kms.describeKey(stagingInProdRegion, key.arn), "AccessDeniedException", "kms");
  });

  it("keeps the aws/rds key to its own account: no policy change, no cross-account use", async () => {
    const rdsKey = await kms.defaultRdsKey(prod);
    await expectAwsError(
      kms.putKeyPolicy(rdsKey.arn, prod, { allowAccounts: [stagingInProdRegion.accountId] }),
      "AccessDeniedException",
      "kms",
      /AWS managed/,
    );
    await expectAwsError(
      kms.encrypt({ caller: stagingInProdRegion, keyRef: rdsKey.arn, plaintext: Buffer.from("x") }),
      "AccessDeniedException",
      "kms",
      /AWS managed key/,
    );
  });

  it("refuses cryptographic use of a disabled key but still describes it", async () => {
    const key = await kms.createKey({ ...prod });
    const { ciphertextBlob } = await kms.encrypt({
      caller: prod,
      keyRef: key.arn,
      plaintext: Buffer.from("x"),
    });
    expect((await kms.setKeyEnabled(prod, key.arn, false)).enabled).toBe(false);
    await expectAwsError(kms.generateDataKey({ caller: prod, keyRef: key.arn }), "DisabledException", "kms");
    await expectAwsError(kms.decrypt({ caller: prod, ciphertextBlob }), "DisabledException", "kms");
    expect((await kms.describeKey(prod, key.arn)).enabled).toBe(false);
    await kms.setKeyEnabled(prod, key.arn, true);
    expect((await kms.decrypt({ caller: prod, ciphertextBlob })).plaintext.toString()).toBe("x");
    const rdsKey = await kms.defaultRdsKey(prod);
    await expectAwsError(kms.setKeyEnabled(prod, rdsKey.arn, false), "AccessDeniedException", "kms");
  });

  it("refuses malformed key references", async () => {
    await expectAwsError(
      kms.describeKey(prod, "arn:aws:kms:us-east-1:1:key/x"),
      "NotFoundException",
      "kms",
      /Invalid/,
    );
    await expectAwsError(kms.describeKey(prod, ""), "NotFoundException", "kms");
  });
});
