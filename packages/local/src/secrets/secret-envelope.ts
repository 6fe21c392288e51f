import type { AccountRegion } from "@aurora-restore/core/ports/index";
import { openAesGcm, packSealedBox, sealAesGcm, unpackSealedBox } from "../kms/aes-gcm";
import type { LocalKms } from "../kms/local-kms";

/**
 * Envelope encryption of secret values: a fresh data key from KMS per version, the value sealed with
 * AES-256-GCM under it, bound to the secret's ARN and version id (a value moved to another secret or version
 * fails to open). Only the KMS-encrypted data key is stored; its plaintext is wiped after use.
 */
export async function sealSecretValue(
  kms: LocalKms,
  input: { caller: AccountRegion; keyRef: string; secretArn: string; versionId: string; value: string },
): Promise<{ encryptedDataKey: string; sealedValue: string }> {
  const dataKey = await kms.generateDataKey({ caller: input.caller, keyRef: input.keyRef });
  try {
    const box = sealAesGcm(dataKey.plaintext, Buffer.from(input.value, "utf8"), aad(input));
    return {
      encryptedDataKey: dataKey.ciphertextBlob.toString("base64"),
      sealedValue: packSealedBox(box).toString("base64"),
    };
  } finally {
    dataKey.plaintext.fill(0);
  }
}

/** Throws (a KMS AwsCallError or a GCM authentication error) when the value cannot be recovered. */
export async function openSecretValue(
  kms: LocalKms,
  input: {
    caller: AccountRegion;
    secretArn: string;
    versionId: string;
    encryptedDataKey: string;
    sealedValue: string;
  },
): Promise<string> {
  const dataKey = await kms.decrypt({
    caller: input.caller,
    ciphertextBlob: Buffer.from(input.encryptedDataKey, "base64"),
  });
  try {
    const box = unpackSealedBox(Buffer.from(input.sealedValue, "base64"));
    return openAesGcm(dataKey.plaintext, box, aad(input)).toString("utf8");
  } finally {
    dataKey.plaintext.fill(0);
  }
}

function aad(input: { secretArn: string; versionId: string }): Buffer {
  return Buffer.from(`${input.secretArn}\n${input.versionId}`, "utf8");
}
