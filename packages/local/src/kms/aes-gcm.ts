import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/** AES-256-GCM with a fresh 96-bit IV per message; `aad` is authenticated but not encrypted. */
export interface SealedBox {
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

export const aesKeyBytes = 32;
const ivBytes = 12;
const tagBytes = 16;

export function sealAesGcm(key: Buffer, plaintext: Buffer, aad: Buffer): SealedBox {
  if (key.length !== aesKeyBytes)
    throw new Error(`AES-256 needs a ${aesKeyBytes}-byte key, got ${key.length}`);
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, tag: cipher.getAuthTag(), ciphertext };
}

/** Throws when the box, the key or the AAD does not match what was sealed. */
export function openAesGcm(key: Buffer, box: SealedBox, aad: Buffer): Buffer {
  if (box.iv.length !== ivBytes || box.tag.length !== tagBytes) throw new Error("malformed AES-GCM box");
  const decipher = createDecipheriv("aes-256-gcm", key, box.iv, { authTagLength: tagBytes });
  decipher.setAAD(aad);
  decipher.setAuthTag(box.tag);
  return Buffer.concat([decipher.update(box.ciphertext), decipher.final()]);
}

/** Fixed layout `iv | tag | ciphertext`, for storing a box as one buffer. */
export function packSealedBox(box: SealedBox): Buffer {
  return Buffer.concat([box.iv, box.tag, box.ciphertext]);
}

export function unpackSealedBox(packed: Buffer): SealedBox {
  if (packed.length < ivBytes + tagBytes) throw new Error("sealed box too short");
  return {
    iv: packed.subarray(0, ivBytes),
    tag: packed.subarray(ivBytes, ivBytes + tagBytes),
    ciphertext: packed.subarray(ivBytes + tagBytes),
  };
}
