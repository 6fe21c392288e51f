import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SecretsPort } from "@aurora-restore/core/ports/index";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalKms } from "../../src/kms/local-kms";
import { LocalSecretsManager } from "../../src/secrets/local-secrets";
import { expectAwsError, fileMode, prod, staging, stagingInProdRegion, tempStateDir } from "../kms/helpers";

let state: Awaited<ReturnType<typeof tempStateDir>>;
let kms: LocalKms;
let manager: LocalSecretsManager;
let secrets: SecretsPort;

const password = JSON.stringify({ username: "app", password: "Sup3r-S3cret-Value!" });

beforeEach(async () => {
  state = await tempStateDir();
  kms = new LocalKms({ stateDir: state.dir });
  manager = new LocalSecretsManager({ stateDir: state.dir, kms });
  secrets = manager.port(staging);
});
afterEach(() => state.cleanup());

describe("LocalSecretsManager", () => {
  it("creates a secret with an AWS-shaped ARN and reads it back by name or ARN", async () => {
    const created = await secrets.createSecret({ name: "staging/app/master", secretString: password });
    expect(created.arn).toMatch(
      /^arn:aws:secretsmanager:eu-west-1:222222222222:secret:staging\/app\/master-[A-Za-z0-9]{6}$/,
    );
    expect(created.name).toBe("staging/app/master");
    for (const secretId of [created.name, created.arn]) {
      expect(await secrets.getSecretValue({ secretId })).toEqual({
        arn: created.arn,
        name: created.name,
        versionId: created.versionId,
        secretString: password,
      });
    }
    expect(secrets.location).toEqual(staging);
  });

  it("describes a secret with its versions and stages", async () => {
    const created = await secrets.createSecret({
      name: "db",
      secretString: "v1",
      description: "master credentials",
      tags: { team: "platform" },
    });
    expect(await secrets.describeSecret("db")).toEqual({
      arn: created.arn,
      name: "db",
      description: "master credentials",
      versions: { [created.versionId]: ["AWSCURRENT"] },
    });
  });

  it("moves AWSCURRENT and AWSPREVIOUS on putSecretValue as AWS does", async () => {
    const v1 = await secrets.createSecret({ name: "db", secretString: "one" });
    const v2 = await secrets.putSecretValue({ secretId: "db", secretString: "two" });
    expect(v2.arn).toBe(v1.arn);
    expect((await secrets.describeSecret("db")).versions).toEqual({
      [v1.versionId]: ["AWSPREVIOUS"],
      [v2.versionId]: ["AWSCURRENT"],
    });
    const v3 = await secrets.putSecretValue({ secretId: v1.arn, secretString: "three" });
    // The oldest version lost its last stage: deprecated, no longer listed.
    expect((await secrets.describeSecret("db")).versions).toEqual({
      [v2.versionId]: ["AWSPREVIOUS"],
      [v3.versionId]: ["AWSCURRENT"],
    });
    expect(await secrets.getSecretValue({ secretId: "db" })).toMatchObject({
      versionId: v3.versionId,
      secretString: "three",
    });
    expect(await secrets.getSecretValue({ secretId: "db", versionStage: "AWSPREVIOUS" })).toMatchObject({
      versionId: v2.versionId,
      secretString: "two",
    });
  });

  it("stages a value as AWSPENDING without moving AWSCURRENT or AWSPREVIOUS, as rotation does", async () => {
    const v1 = await secrets.createSecret({ name: "db", secretString: "one" });
    const v2 = await secrets.putSecretValue({ secretId: "db", secretString: "two" });
    const p1 = await secrets.putSecretValue({
      secretId: "db",
      secretString: "pending-1",
      versionStages: ["AWSPENDING"],
    });
    expect((await secrets.describeSecret("db")).versions).toEqual({
      [v1.versionId]: ["AWSPREVIOUS"],
      [v2.versionId]: ["AWSCURRENT"],
      [p1.versionId]: ["AWSPENDING"],
    });
    expect((await secrets.getSecretValue({ secretId: "db" })).secretString).toBe("two");
    expect(await secrets.getSecretValue({ secretId: "db", versionStage: "AWSPENDING" })).toMatchObject({
      versionId: p1.versionId,
      secretString: "pending-1",
    });
    // Staging again moves only AWSPENDING; the version it left has no label and is deprecated.
    const p2 = await secrets.putSecretValue({
      secretId: "db",
      secretString: "pending-2",
      versionStages: ["AWSPENDING"],
    });
    expect((await secrets.describeSecret("db")).versions).toEqual({
      [v1.versionId]: ["AWSPREVIOUS"],
      [v2.versionId]: ["AWSCURRENT"],
      [p2.versionId]: ["AWSPENDING"],
    });
    // A default put (AWSCURRENT) leaves AWSPENDING where it is.
    const v3 = await secrets.putSecretValue({ secretId: "db", secretString: "three" });
    expect((await secrets.describeSecret("db")).versions).toEqual({
      [v2.versionId]: ["AWSPREVIOUS"],
      [v3.versionId]: ["AWSCURRENT"],
      [p2.versionId]: ["AWSPENDING"],
    });
    await expectAwsError(
      secrets.putSecretValue({ secretId: "db", secretString: "x", versionStages: [] }),
      "InvalidParameterException",
      "secretsmanager",
      /at least one staging label/,
    );
  });

  it("moves AWSCURRENT with updateSecretVersionStage, taking AWSPREVIOUS to the version it left", async () => {
    const v1 = await secrets.createSecret({ name: "db", secretString: "one" });
    const v2 = await secrets.putSecretValue({ secretId: "db", secretString: "two" });
    const pending = await secrets.putSecretValue({
      secretId: "db",
      secretString: "three",
      versionStages: ["AWSPENDING"],
    });
    await secrets.updateSecretVersionStage({
      secretId: "db",
      versionStage: "AWSCURRENT",
      moveToVersionId: pending.versionId,
      removeFromVersionId: v2.versionId,
    });
    expect((await secrets.describeSecret("db")).versions).toEqual({
      [v2.versionId]: ["AWSPREVIOUS"],
      [pending.versionId]: ["AWSPENDING", "AWSCURRENT"],
    });
    expect(v1.versionId in (await secrets.describeSecret("db")).versions).toBe(false);
    expect((await secrets.getSecretValue({ secretId: "db" })).secretString).toBe("three");
    // Moving a label onto the version that holds it changes nothing.
    await secrets.updateSecretVersionStage({
      secretId: "db",
      versionStage: "AWSCURRENT",
      moveToVersionId: pending.versionId,
    });
    await secrets.updateSecretVersionStage({
      secretId: "db",
      versionStage: "AWSPENDING",
      removeFromVersionId: pending.versionId,
    });
    expect((await secrets.describeSecret("db")).versions).toEqual({
      [v2.versionId]: ["AWSPREVIOUS"],
      [pending.versionId]: ["AWSCURRENT"],
    });
    await expectAwsError(
      secrets.getSecretValue({ secretId: "db", versionStage: "AWSPENDING" }),
      "ResourceNotFoundException",
      "secretsmanager",
      /staging label: AWSPENDING/,
    );
  });

  it("refuses stage moves AWS refuses, with AWS's errors, changing nothing", async () => {
    const v1 = await secrets.createSecret({ name: "db", secretString: "one" });
    const pending = await secrets.putSecretValue({
      secretId: "db",
      secretString: "two",
      versionStages: ["AWSPENDING"],
    });
    const before = (await secrets.describeSecret("db")).versions;
    const refused: [Parameters<SecretsPort["updateSecretVersionStage"]>[0], RegExp][] = [
      // removeFromVersionId names a version that does not hold the label.
      [
        { secretId: "db", versionStage: "AWSPENDING", removeFromVersionId: v1.versionId },
        /AWSPENDING is not attached to version/,
      ],
      // The label is on another version and the caller did not say it may leave it.
      [
        { secretId: "db", versionStage: "AWSCURRENT", moveToVersionId: pending.versionId },
        /RemoveFromVersionId can't be empty/,
      ],
      // AWSCURRENT can only move.
      [{ secretId: "db", versionStage: "AWSCURRENT", removeFromVersionId: v1.versionId }, /only moved/],
      [{ secretId: "db", versionStage: "AWSPENDING" }, /MoveToVersionId.*RemoveFromVersionId/],
      [
        { secretId: "db", versionStage: "AWSPREVIOUS", removeFromVersionId: v1.versionId },
        /AWSPREVIOUS is not attached to version .* \(no version holds it\)/,
      ],
    ];
    for (const [input, message] of refused) {
      await expectAwsError(
        secrets.updateSecretVersionStage(input),
        "InvalidParameterException",
        "secretsmanager",
        message,
      );
    }
    await expectAwsError(
      secrets.updateSecretVersionStage({
        secretId: "db",
        versionStage: "AWSPENDING",
        moveToVersionId: "no-such-version",
        removeFromVersionId: pending.versionId,
      }),
      "ResourceNotFoundException",
      "secretsmanager",
      /can't find the specified secret version no-such-version/,
    );
    await expectAwsError(
      secrets.updateSecretVersionStage({
        secretId: "nope",
        versionStage: "AWSPENDING",
        removeFromVersionId: pending.versionId,
      }),
      "ResourceNotFoundException",
      "secretsmanager",
    );
    expect((await secrets.describeSecret("db")).versions).toEqual(before);
  });

  it("refuses a name that exists, and unknown secrets, with AWS's errors", async () => {
    await secrets.createSecret({ name: "db", secretString: "x" });
    await expectAwsError(
      secrets.createSecret({ name: "db", secretString: "y" }),
      "ResourceExistsException",
      "secretsmanager",
      /secret db already exists/,
    );
    const notFound = /Secrets Manager can't find the specified secret\./;
    await expectAwsError(
      secrets.getSecretValue({ secretId: "nope" }),
      "ResourceNotFoundException",
      "secretsmanager",
      notFound,
    );
    await expectAwsError(
      secrets.describeSecret("nope"),
      "ResourceNotFoundException",
      "secretsmanager",
      notFound,
    );
    await expectAwsError(
      secrets.putSecretValue({ secretId: "nope", secretString: "z" }),
      "ResourceNotFoundException",
      "secretsmanager",
      notFound,
    );
    await expectAwsError(
      secrets.getSecretValue({ secretId: "db", versionStage: "AWSPENDING" }),
      "ResourceNotFoundException",
      "secretsmanager",
      /staging label: AWSPENDING/,
    );
  });

  it("keeps accounts and regions apart", async () => {
    const created = await secrets.createSecret({ name: "db", secretString: "x" });
    const elsewhere = manager.port(stagingInProdRegion);
    await expectAwsError(
      elsewhere.getSecretValue({ secretId: "db" }),
      "ResourceNotFoundException",
      "secretsmanager",
    );
    await expectAwsError(
      elsewhere.describeSecret(created.arn),
      "ResourceNotFoundException",
      "secretsmanager",
    );
    expect((await elsewhere.createSecret({ name: "db", secretString: "other" })).arn).not.toBe(created.arn);
    expect((await secrets.getSecretValue({ secretId: "db" })).secretString).toBe("x");
  });

  it("refuses invalid names and oversized values", async () => {
    await expectAwsError(
      secrets.createSecret({ name: "bad name!", secretString: "x" }),
      "InvalidParameterException",
      "secretsmanager",
    );
    await expectAwsError(
      secrets.createSecret({ name: "big", secretString: "x".repeat(65_537) }),
      "InvalidParameterException",
      "secretsmanager",
    );
  });

  it("encrypts under the account's aws/secretsmanager key by default", async () => {
    await secrets.createSecret({ name: "db", secretString: "x" });
    const defaultKey = await kms.describeKey(staging, "alias/aws/secretsmanager");
    expect(defaultKey.keyManager).toBe("AWS");
    expect((await secrets.describeSecret("db")).kmsKeyId).toBeUndefined();
  });

  it("encrypts under the secret's own KMS key when given, and fails to read when the key is disabled", async () => {
    const key = await kms.createKey({ ...staging, alias: "alias/staging-secrets" });
    await secrets.createSecret({ name: "db", secretString: "x", kmsKeyId: "alias/staging-secrets" });
    expect((await secrets.describeSecret("db")).kmsKeyId).toBe("alias/staging-secrets");
    const file = JSON.parse(await readFile(manager.secretsFile(staging), "utf8")) as {
      secrets: { versions: { encryptedDataKey: string }[] }[];
    };
    const wrapped = Buffer.from(file.secrets[0]!.versions[0]!.encryptedDataKey, "base64");
    expect((await kms.decrypt({ caller: staging, ciphertextBlob: wrapped })).keyArn).toBe(key.arn);

    await kms.setKeyEnabled(staging, key.arn, false);
    await expectAwsError(
      secrets.getSecretValue({ secretId: "db" }),
      "DecryptionFailure",
      "secretsmanager",
      /disabled/,
    );
    await expectAwsError(
      secrets.putSecretValue({ secretId: "db", secretString: "y" }),
      "InvalidRequestException",
      "secretsmanager",
      /can't encrypt/,
    );
  });

  it("refuses a KMS key it cannot use, without creating the secret", async () => {
    const foreign = await kms.createKey({ ...prod });
    await expectAwsError(
      secrets.createSecret({ name: "db", secretString: "x", kmsKeyId: "alias/missing" }),
      "InvalidRequestException",
      "secretsmanager",
      /alias\/missing/,
    );
    await expectAwsError(
      secrets.createSecret({ name: "db", secretString: "x", kmsKeyId: foreign.arn }),
      "InvalidRequestException",
      "secretsmanager",
    );
    await expectAwsError(secrets.describeSecret("db"), "ResourceNotFoundException", "secretsmanager");
  });

  it("stores values encrypted: no plaintext in any file under the state folder", async () => {
    await secrets.createSecret({ name: "db", secretString: password });
    await secrets.putSecretValue({ secretId: "db", secretString: `${password}-rotated` });
    const files = await listFiles(state.dir);
    expect(files).toContain(manager.secretsFile(staging));
    for (const file of files) {
      const text = await readFile(file, "utf8");
      expect(text).not.toContain("Sup3r-S3cret-Value!");
      expect(text).not.toContain(Buffer.from(password).toString("base64").slice(0, 24));
    }
    expect(fileMode((await stat(manager.secretsFile(staging))).mode)).toBe(0o600);
    expect(fileMode((await stat(join(state.dir, "secrets", staging.accountId, staging.region))).mode)).toBe(
      0o700,
    );
  });

  it("fails with DecryptionFailure when the stored value was tampered with", async () => {
    await secrets.createSecret({ name: "db", secretString: password });
    const file = manager.secretsFile(staging);
    const contents = JSON.parse(await readFile(file, "utf8")) as {
      secrets: { versions: { sealedValue: string }[] }[];
    };
    const version = contents.secrets[0]!.versions[0]!;
    const sealed = Buffer.from(version.sealedValue, "base64");
    sealed[sealed.length - 1]! ^= 0x01;
    version.sealedValue = sealed.toString("base64");
    await writeFile(file, JSON.stringify(contents));
    await expectAwsError(secrets.getSecretValue({ secretId: "db" }), "DecryptionFailure", "secretsmanager");
  });

  it("survives a restart: new instances on the same folder read the secrets", async () => {
    const created = await secrets.createSecret({ name: "db", secretString: password });
    const fresh = new LocalSecretsManager({
      stateDir: state.dir,
      kms: new LocalKms({ stateDir: state.dir }),
    });
    expect(await fresh.port(staging).getSecretValue({ secretId: created.arn })).toMatchObject({
      secretString: password,
      versionId: created.versionId,
    });
  });

  it("keeps every version when values are put concurrently", async () => {
    await secrets.createSecret({ name: "db", secretString: "0" });
    const puts = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        secrets.putSecretValue({ secretId: "db", secretString: `${i + 1}` }),
      ),
    );
    const last = puts[puts.length - 1]!;
    const described = await secrets.describeSecret("db");
    expect(described.versions[last.versionId]).toEqual(["AWSCURRENT"]);
    expect(Object.values(described.versions).flat().sort()).toEqual(["AWSCURRENT", "AWSPREVIOUS"]);
    expect((await secrets.getSecretValue({ secretId: "db" })).secretString).toBe("6");
  });
});

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}
