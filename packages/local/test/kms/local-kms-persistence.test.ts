import { chmod, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalKms } from "../../src/kms/local-kms";
import { expectAwsError, fileMode, prod, staging, tempStateDir } from "./helpers";

let state: Awaited<ReturnType<typeof tempStateDir>>;

beforeEach(async () => {
  state = await tempStateDir();
});
afterEach(() => state.cleanup());

describe("LocalKms persistence", () => {
  it("stores keys in <stateDir>/kms/keys.json, readable by the current user only", async () => {
    const kms = new LocalKms({ stateDir: state.dir });
    await kms.createKey({ ...prod });
    expect(kms.keysFile).toBe(join(state.dir, "kms", "keys.json"));
    expect(fileMode((await stat(kms.keysFile)).mode)).toBe(0o600);
    expect(fileMode((await stat(join(state.dir, "kms"))).mode)).toBe(0o700);
    expect(await readdir(join(state.dir, "kms"))).toEqual(["keys.json"]);
  });

  it("loads nothing until first used", async () => {
    const kms = new LocalKms({ stateDir: state.dir });
    expect(kms.keysFile).toContain(state.dir);
    expect(await readdir(state.dir)).toEqual([]);
  });

  it("keeps keys across a restart: a new instance decrypts what the old one encrypted", async () => {
    const before = new LocalKms({ stateDir: state.dir });
    const key = await before.createKey({
      ...prod,
      alias: "alias/app",
      policy: { allowAccounts: [staging.accountId] },
    });
    const rdsKey = await before.defaultRdsKey(prod);
    const { ciphertextBlob } = await before.encrypt({
      caller: prod,
      keyRef: key.arn,
      plaintext: Buffer.from("kept"),
    });

    const after = new LocalKms({ stateDir: state.dir });
    expect(await after.describeKey(prod, "alias/app")).toEqual(key);
    expect(await after.defaultRdsKey(prod)).toEqual(rdsKey);
    expect((await after.decrypt({ caller: prod, ciphertextBlob })).plaintext.toString()).toBe("kept");
  });

  it("sees keys another instance created on the same folder", async () => {
    const a = new LocalKms({ stateDir: state.dir });
    const b = new LocalKms({ stateDir: state.dir });
    await a.createKey({ ...prod, alias: "alias/first" });
    await b.describeKey(prod, "alias/first");
    const second = await b.createKey({ ...prod, alias: "alias/second" });
    expect(await a.describeKey(prod, "alias/second")).toEqual(second);
    expect((await a.describeKey(prod, "alias/first")).aliases).toEqual(["alias/first"]);
  });

  it("keeps every key when many are created concurrently", async () => {
    const kms = new LocalKms({ stateDir: state.dir });
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) => kms.createKey({ ...prod, alias: `alias/key-${i}` })),
    );
    const onDisk = JSON.parse(await readFile(kms.keysFile, "utf8")) as { keys: { arn: string }[] };
    expect(onDisk.keys.map((k) => k.arn).sort()).toEqual(created.map((k) => k.arn).sort());
    expect(await readdir(join(state.dir, "kms"))).toEqual(["keys.json"]);
    const fresh = new LocalKms({ stateDir: state.dir });
    for (const key of created) expect(await fresh.describeKey(prod, key.aliases[0]!)).toEqual(key);
  });

  it("a failed change writes nothing", async () => {
    const kms = new LocalKms({ stateDir: state.dir });
    await kms.createKey({ ...prod, alias: "alias/taken" });
    const before = await readFile(kms.keysFile, "utf8");
    await expectAwsError(
      kms.createKey({ ...prod, alias: "alias/taken" }),
      "InvalidParameterException",
      "kms",
    );
    expect(await readFile(kms.keysFile, "utf8")).toBe(before);
  });

  it("re-tightens a keys file whose mode was loosened", async () => {
    const kms = new LocalKms({ stateDir: state.dir });
    const key = await kms.createKey({ ...prod });
    await chmod(kms.keysFile, 0o644);
    await new LocalKms({ stateDir: state.dir }).describeKey(prod, key.arn);
    expect(fileMode((await stat(kms.keysFile)).mode)).toBe(0o600);
  });

  it("keeps key material out of everything it returns", async () => {
    const kms = new LocalKms({ stateDir: state.dir });
    const key = await kms.createKey({ ...prod });
    const stored = JSON.parse(await readFile(kms.keysFile, "utf8")) as { keys: { material: string }[] };
    const material = stored.keys[0]!.material;
    expect(Buffer.from(material, "base64")).toHaveLength(32);
    const { ciphertextBlob } = await kms.encrypt({
      caller: prod,
      keyRef: key.arn,
      plaintext: Buffer.from("x"),
    });
    expect(JSON.stringify(key)).not.toContain(material);
    expect(JSON.stringify(await kms.describeKey(prod, key.arn))).not.toContain(material);
    expect(ciphertextBlob.includes(Buffer.from(material, "base64"))).toBe(false);
  });

  it("names the file when the keys file is not JSON", async () => {
    const kms = new LocalKms({ stateDir: state.dir });
    await kms.createKey({ ...prod });
    const { writeFile } = await import("node:fs/promises");
    await writeFile(kms.keysFile, "{ broken");
    await expect(new LocalKms({ stateDir: state.dir }).defaultRdsKey(prod)).rejects.toThrow(
      /keys\.json is not valid JSON/,
    );
  });
});
