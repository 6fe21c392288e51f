import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { AccountRegion } from "@aurora-restore/core/ports/index";
import { blobKeyArn, openBlob } from "../../../src/kms/ciphertext-blob";
import type { LocalSecretsManager } from "../../../src/secrets/local-secrets";

/**
 * The leak scan of the reliability suite: every secret value the run generated (read back from the secret
 * store, every version) and all key material (the KMS keys, and every data key they wrapped: secret
 * versions', snapshots'), searched for in everything the run left or printed, the secret store's and key
 * store's own files excepted.
 */

/** A value that must not appear anywhere else, in one of its encodings. */
export interface Needle {
  what: string;
  bytes: Buffer;
}

/** Where something was looked for: a file, or text the run printed or stored (logs, CLI output, API reads). */
export interface Haystack {
  where: string;
  bytes: Buffer;
}

/** The secret store's and key store's own files: the only places their values may be. */
export function isSecretStoreFile(stateDir: string, file: string): boolean {
  const parts = relative(stateDir, file).split(sep);
  return (
    (parts[0] === "secrets" && parts.at(-1) === "secrets.json") ||
    (parts[0] === "kms" && parts[1] === "keys.json")
  );
}

export async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(path)));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

/** Every file under the state folder but the secret and key stores' own, as haystacks. */
export async function stateFiles(stateDir: string): Promise<Haystack[]> {
  const haystacks: Haystack[] = [];
  for (const file of await filesUnder(stateDir)) {
    if (isSecretStoreFile(stateDir, file)) continue;
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) continue;
    const bytes = await readFile(file).catch(() => undefined);
    if (bytes) haystacks.push({ where: relative(stateDir, file), bytes });
  }
  return haystacks;
}

export function text(where: string, value: unknown): Haystack {
  return { where, bytes: Buffer.from(typeof value === "string" ? value : JSON.stringify(value), "utf8") };
}

function encodings(what: string, raw: Buffer): Needle[] {
  return [
    { what: `${what} (bytes)`, bytes: raw },
    { what: `${what} (hex)`, bytes: Buffer.from(raw.toString("hex"), "utf8") },
    { what: `${what} (base64)`, bytes: Buffer.from(raw.toString("base64").replace(/=+$/, ""), "utf8") },
    { what: `${what} (base64url)`, bytes: Buffer.from(raw.toString("base64url"), "utf8") },
  ];
}

interface SecretsFile {
  secrets: { name: string; arn: string; versions: { versionId: string; encryptedDataKey: string }[] }[];
}

interface KeysFile {
  keys: { arn: string; material: string }[];
}

/**
 * Every secret value's password (each version of each secret in each account and region, read through the
 * local Secrets Manager), the KMS keys' material, and the data keys wrapped in secret versions and snapshot
 * envelopes (unwrapped here with the key material), each in the encodings a leak would take.
 */
export async function collectNeedles(stateDir: string, secrets: LocalSecretsManager): Promise<Needle[]> {
  const needles: Needle[] = [];
  const wrapped: { what: string; blob: string }[] = [];
  for (const file of await filesUnder(join(stateDir, "secrets"))) {
    if (!file.endsWith("secrets.json")) continue;
    const [accountId, region] = relative(join(stateDir, "secrets"), file).split(sep) as [string, string];
    const location: AccountRegion = { accountId, region };
    const parsed = JSON.parse(await readFile(file, "utf8")) as SecretsFile;
    for (const secret of parsed.secrets) {
      for (const version of secret.versions) {
        const { secretString } = await secrets
          .port(location)
          .getSecretValue({ secretId: secret.arn, versionId: version.versionId });
        let password: unknown;
        try {
          password = (JSON.parse(secretString) as { password?: unknown }).password;
        } catch {
          password = secretString;
        }
        if (typeof password === "string" && password.length >= 8) {
          needles.push({
            what: `password of ${secret.name} (version ${version.versionId})`,
            bytes: Buffer.from(password, "utf8"),
          });
        }
        wrapped.push({
          what: `data key of ${secret.name} ${version.versionId}`,
          blob: version.encryptedDataKey,
        });
      }
    }
  }
  for (const file of await filesUnder(join(stateDir, "rds"))) {
    if (!file.endsWith(".json")) continue;
    const content = await readFile(file, "utf8").catch(() => "");
    for (const match of content.matchAll(/"wrappedDataKey"\s*:\s*"([A-Za-z0-9+/=]+)"/g)) {
      wrapped.push({ what: `data key of ${relative(stateDir, file)}`, blob: match[1]! });
    }
  }
  const keys = (JSON.parse(await readFile(join(stateDir, "kms", "keys.json"), "utf8")) as KeysFile).keys;
  const material = new Map(keys.map((k) => [k.arn, Buffer.from(k.material, "base64")]));
  for (const key of keys) needles.push(...encodings(`key material of ${key.arn}`, material.get(key.arn)!));
  for (const { what, blob } of wrapped) {
    const bytes = Buffer.from(blob, "base64");
    const keyArn = blobKeyArn(bytes);
    const keyMaterial = keyArn ? material.get(keyArn) : undefined;
    if (!keyArn || !keyMaterial) throw new Error(`${what}: wrapped under an unknown key`);
    needles.push(...encodings(what, openBlob(keyArn, keyMaterial, bytes)));
  }
  return needles;
}

/** Each needle found in each haystack: `<what> in <where>`. */
export function scan(needles: readonly Needle[], haystacks: readonly Haystack[]): string[] {
  const found: string[] = [];
  for (const haystack of haystacks) {
    for (const needle of needles) {
      if (haystack.bytes.includes(needle.bytes)) found.push(`${needle.what} in ${haystack.where}`);
    }
  }
  return found;
}
