import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalKms } from "../../src/kms/local-kms";
import { expectAwsError, outsider, prod, stagingInProdRegion, tempStateDir } from "./helpers";

let state: Awaited<ReturnType<typeof tempStateDir>>;
let kms: LocalKms;

beforeEach(async () => {
  state = await tempStateDir();
  kms = new LocalKms({ stateDir: state.dir });
});
afterEach(() => state.cleanup());

const secret = Buffer.from("a value worth protecting");

describe("LocalKms cryptography", () => {
  it("encrypts and decrypts; the blob names its key, so decrypt needs no key id", async () => {
    const key = await kms.createKey({ ...prod, alias: "alias/app" });
    const encrypted = await kms.encrypt({ caller: prod, keyRef: "alias/app", plaintext: secret });
    expect(encrypted.keyArn).toBe(key.arn);
    expect(encrypted.ciphertextBlob.includes(secret)).toBe(false);
    const decrypted = await kms.decrypt({ caller: prod, ciphertextBlob: encrypted.ciphertextBlob });
    expect(decrypted).toEqual({ keyArn: key.arn, plaintext: secret });
  });

  it("never produces the same blob twice for the same plaintext (fresh IV)", async () => {
    const key = await kms.createKey({ ...prod });
    const a = await kms.encrypt({ caller: prod, keyRef: key.arn, plaintext: secret });
    const b = await kms.encrypt({ caller: prod, keyRef: key.arn, plaintext: secret });
    expect(a.ciphertextBlob.equals(b.ciphertextBlob)).toBe(false);
  });

  it("generates AES-256 data keys whose encrypted form decrypts to the plaintext key", async () => {
    const key = await kms.createKey({ ...prod });
    const dataKey = await kms.generateDataKey({ caller: prod, keyRef: key.keyId });
    expect(dataKey.keyArn).toBe(key.arn);
    expect(dataKey.plaintext).toHaveLength(32);
    const other = await kms.generateDataKey({ caller: prod, keyRef: key.keyId });
    expect(other.plaintext.equals(dataKey.plaintext)).toBe(false);
    const unwrapped = await kms.decrypt({ caller: prod, ciphertextBlob: dataKey.ciphertextBlob });
    expect(unwrapped.plaintext.equals(dataKey.plaintext)).toBe(true);
  });

  it("refuses to Encrypt more than 4 KiB, pointing at data keys", async () => {
    const key = await kms.createKey({ ...prod });
    await expectAwsError(
      kms.encrypt({ caller: prod, keyRef: key.arn, plaintext: Buffer.alloc(4097) }),
      "InvalidParameterException",
      "kms",
      /generateDataKey/,
    );
  });

  it("re-encrypts under a destination key without exposing plaintext to the caller", async () => {
    const source = await kms.createKey({ ...prod });
    const destination = await kms.createKey({ ...prod, alias: "alias/dest" });
    const { ciphertextBlob } = await kms.encrypt({ caller: prod, keyRef: source.arn, plaintext: secret });
    const moved = await kms.reEncrypt({ caller: prod, ciphertextBlob, destinationKeyRef: "alias/dest" });
    expect(moved.keyArn).toBe(destination.arn);
    expect(moved.sourceKeyArn).toBe(source.arn);
    expect(await kms.decrypt({ caller: prod, ciphertextBlob: moved.ciphertextBlob })).toEqual({
      keyArn: destination.arn,
      plaintext: secret,
    });
  });

  it("re-encrypts across accounts when both key policies allow the caller", async () => {
    const prodKey = await kms.createKey({
      ...prod,
      policy: { allowAccounts: [stagingInProdRegion.accountId] },
    });
    const stagingKey = await kms.createKey({ ...stagingInProdRegion, alias: "alias/staging-restore" });
    const { ciphertextBlob } = await kms.encrypt({ caller: prod, keyRef: prodKey.arn, plaintext: secret });
    const moved = await kms.reEncrypt({
      caller: stagingInProdRegion,
      ciphertextBlob,
      destinationKeyRef: "alias/staging-restore",
    });
    expect(moved.keyArn).toBe(stagingKey.arn);
    expect(
      (await kms.decrypt({ caller: stagingInProdRegion, ciphertextBlob: moved.ciphertextBlob })).plaintext,
    ).toEqual(secret);
    // The owner cannot read staging's copy: staging's key policy does not allow production.
    await expectAwsError(
      kms.decrypt({ caller: prod, ciphertextBlob: moved.ciphertextBlob }),
      "AccessDeniedException",
      "kms",
    );
  });

  it("refuses to decrypt for an account the key policy does not allow", async () => {
    const key = await kms.createKey({ ...prod, policy: { allowAccounts: [stagingInProdRegion.accountId] } });
    const { ciphertextBlob } = await kms.encrypt({ caller: prod, keyRef: key.arn, plaintext: secret });
    await expectAwsError(
      kms.decrypt({ caller: outsider, ciphertextBlob }),
      "AccessDeniedException",
      "kms",
      /key policy/,
    );
    await expectAwsError(
      kms.reEncrypt({ caller: outsider, ciphertextBlob, destinationKeyRef: "alias/aws/rds" }),
      "AccessDeniedException",
      "kms",
    );
  });

  it("refuses to decrypt in another region", async () => {
    const key = await kms.createKey({ ...prod });
    const { ciphertextBlob } = await kms.encrypt({ caller: prod, keyRef: key.arn, plaintext: secret });
    await expectAwsError(
      kms.decrypt({ caller: { ...prod, region: "eu-west-1" }, ciphertextBlob }),
      "NotFoundException",
      "kms",
    );
    await expectAwsError(
      kms.reEncrypt({
        caller: prod,
        ciphertextBlob,
        destinationKeyRef: key.arn.replace("us-east-1", "eu-west-1"),
      }),
      "NotFoundException",
      "kms",
    );
  });

  describe("tampered ciphertext gives InvalidCiphertextException", () => {
    async function blob(): Promise<{ keyArn: string; ciphertextBlob: Buffer }> {
      const key = await kms.createKey({ ...prod });
      return kms.encrypt({ caller: prod, keyRef: key.arn, plaintext: secret });
    }

    it("a flipped bit in the encrypted bytes", async () => {
      const { ciphertextBlob } = await blob();
      const tampered = Buffer.from(ciphertextBlob);
      tampered[tampered.length - 1]! ^= 0x01;
      await expectAwsError(
        kms.decrypt({ caller: prod, ciphertextBlob: tampered }),
        "InvalidCiphertextException",
        "kms",
      );
    });

    it("a flipped bit in the authentication tag", async () => {
      const { ciphertextBlob } = await blob();
      const tampered = Buffer.from(ciphertextBlob);
      tampered[tampered.length - secret.length - 1]! ^= 0x80;
      await expectAwsError(
        kms.decrypt({ caller: prod, ciphertextBlob: tampered }),
        "InvalidCiphertextException",
        "kms",
      );
    });

    it("a truncated blob", async () => {
      const { ciphertextBlob } = await blob();
      await expectAwsError(
        kms.decrypt({ caller: prod, ciphertextBlob: ciphertextBlob.subarray(0, ciphertextBlob.length - 5) }),
        "InvalidCiphertextException",
        "kms",
      );
    });

    it("a blob relabelled with another existing key's ARN", async () => {
      const { keyArn, ciphertextBlob } = await blob();
      const other = await kms.createKey({ ...prod });
      // Same length ARNs (uuid ids), so the header stays well-formed and only the key changes.
      const relabelled = Buffer.from(ciphertextBlob.toString("latin1").replace(keyArn, other.arn), "latin1");
      expect(relabelled.equals(ciphertextBlob)).toBe(false);
      await expectAwsError(
        kms.decrypt({ caller: prod, ciphertextBlob: relabelled }),
        "InvalidCiphertextException",
        "kms",
        /failed authentication/,
      );
    });

    it("bytes that are not a KMS blob at all", async () => {
      await expectAwsError(
        kms.decrypt({ caller: prod, ciphertextBlob: Buffer.from("definitely not ciphertext") }),
        "InvalidCiphertextException",
        "kms",
      );
    });
  });
});
