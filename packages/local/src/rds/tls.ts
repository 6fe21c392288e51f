import { randomBytes, webcrypto } from "node:crypto";
import { access, chmod, chown, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
// @peculiar/x509 2.x resolves its algorithms through tsyringe, which needs this polyfill loaded first.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import type { ServerAccount } from "./processes";

// Node's own WebCrypto makes the keys and signs (no openssl binary needed).
x509.cryptoProvider.set(webcrypto);

export interface TlsFiles {
  caCertificate: string;
  serverCertificate: string;
  serverKey: string;
}

/** Names of the files in the TLS folder; the CA key never leaves it. */
export function tlsFiles(dir: string): TlsFiles & { caKey: string } {
  return {
    caCertificate: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    serverCertificate: join(dir, "server.crt"),
    serverKey: join(dir, "server.key"),
  };
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * A local certificate authority (created on first use, 10 years) and one server certificate for every local
 * cluster (SAN 127.0.0.1 and localhost, so clients verify it with `ssl: { ca, rejectUnauthorized: true }`).
 * Made in-process with @peculiar/x509 on Node's WebCrypto; keys are P-256 (PKCS#8 PEM), written 0600 in a
 * folder only this user can list.
 */
export async function ensureLocalCa(dir: string, server: ServerAccount): Promise<TlsFiles> {
  const files = tlsFiles(dir);
  if (!(await exists(files.caCertificate)) || !(await exists(files.caKey))) {
    await generate(dir, async () => {
      const keys = await newKeyPair();
      const certificate = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: serialNumber(),
        name: "CN=aurora-restore local RDS CA",
        notAfter: daysFromNow(3650),
        keys,
        signingAlgorithm,
        extensions: [
          new x509.BasicConstraintsExtension(true, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        ],
      });
      return { "ca.key": await privateKeyPem(keys.privateKey), "ca.crt": certificate.toString("pem") };
    });
    await rm(files.serverCertificate, { force: true });
  }
  if (!(await exists(files.serverCertificate)) || !(await exists(files.serverKey))) {
    const ca = new x509.X509Certificate(await readFile(files.caCertificate, "utf8"));
    const caKey = await readPrivateKey(files.caKey);
    await generate(dir, async () => {
      const keys = await newKeyPair();
      const certificate = await x509.X509CertificateGenerator.create({
        serialNumber: serialNumber(),
        subject: "CN=localhost",
        issuer: ca.subject,
        notAfter: daysFromNow(825),
        publicKey: keys.publicKey,
        signingKey: caKey,
        signingAlgorithm,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(
            x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
            true,
          ),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension([
            { type: "ip", value: "127.0.0.1" },
            { type: "dns", value: "localhost" },
          ]),
          await x509.AuthorityKeyIdentifierExtension.create(ca),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        ],
      });
      return {
        "server.key": await privateKeyPem(keys.privateKey),
        "server.crt": certificate.toString("pem"),
      };
    });
  }
  // PostgreSQL refuses a key it does not own (or that others can read): hand it to the server's account.
  if (server.ids) await chown(files.serverKey, server.ids.uid, server.ids.gid);
  return {
    caCertificate: files.caCertificate,
    serverCertificate: files.serverCertificate,
    serverKey: files.serverKey,
  };
}

const keyAlgorithm: webcrypto.EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const signingAlgorithm: webcrypto.EcdsaParams = { name: "ECDSA", hash: "SHA-256" };

function newKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(keyAlgorithm, true, ["sign", "verify"]);
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

/** The CA's key, as written above (or by the openssl-made CAs of earlier versions: also P-256 PKCS#8). */
async function readPrivateKey(path: string): Promise<webcrypto.CryptoKey> {
  const [der] = x509.PemConverter.decode(await readFile(path, "utf8"));
  if (!der) throw new Error(`${path} holds no PEM private key`);
  return webcrypto.subtle.importKey("pkcs8", der, keyAlgorithm, false, ["sign"]);
}

/** 16 random bytes, the top bit clear so the DER integer stays positive (as openssl's -set_serial did). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f || 0x01;
  return bytes.toString("hex");
}

function daysFromNow(days: number): Date {
  return new Date(Date.now() + days * 86_400_000);
}

/**
 * Writes the files into a private temporary folder, then moves them in (keys 0600, certificates 0644), so a
 * reader never sees a half-written pair.
 */
async function generate(dir: string, make: () => Promise<Record<string, string>>): Promise<void> {
  const work = await mkdtemp(join(dir, "tmp-"));
  try {
    await chmod(work, 0o700);
    for (const [name, contents] of Object.entries(await make())) {
      await writeFile(join(work, name), contents);
      await chmod(join(work, name), name.endsWith(".key") ? 0o600 : 0o644);
      await rename(join(work, name), join(dir, name));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export async function readCaPem(dir: string): Promise<string> {
  return readFile(tlsFiles(dir).caCertificate, "utf8");
}
