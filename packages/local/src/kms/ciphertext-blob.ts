import { openAesGcm, packSealedBox, sealAesGcm, unpackSealedBox } from "./aes-gcm";

/**
 * A local KMS ciphertext blob. Like AWS's, it names the key that encrypted it, so Decrypt needs no key id:
 * `"LKMS" | version | u16 ARN length | key ARN | iv | tag | ciphertext`. The whole header (with the ARN) is the
 * GCM additional data, so a blob re-labelled with another key's ARN fails authentication.
 */
const magic = Buffer.from("LKMS", "ascii");
const version = 1;

function header(keyArn: string): Buffer {
  const arn = Buffer.from(keyArn, "utf8");
  const length = Buffer.alloc(2);
  length.writeUInt16BE(arn.length);
  return Buffer.concat([magic, Buffer.from([version]), length, arn]);
}

export function sealBlob(keyArn: string, material: Buffer, plaintext: Buffer): Buffer {
  const head = header(keyArn);
  return Buffer.concat([head, packSealedBox(sealAesGcm(material, plaintext, head))]);
}

/** The key ARN a blob names, or undefined when it is not a local KMS blob at all. */
export function blobKeyArn(blob: Buffer): string | undefined {
  if (blob.length < magic.length + 3 || !blob.subarray(0, magic.length).equals(magic)) return undefined;
  if (blob[magic.length] !== version) return undefined;
  const length = blob.readUInt16BE(magic.length + 1);
  const start = magic.length + 3;
  if (blob.length < start + length) return undefined;
  return blob.subarray(start, start + length).toString("utf8");
}

/** Throws when the blob was altered or was not sealed with `material` under `keyArn`. */
export function openBlob(keyArn: string, material: Buffer, blob: Buffer): Buffer {
  const head = header(keyArn);
  if (blob.length < head.length || !blob.subarray(0, head.length).equals(head)) {
    throw new Error("ciphertext header does not name this key");
  }
  return openAesGcm(material, unpackSealedBox(blob.subarray(head.length)), head);
}
