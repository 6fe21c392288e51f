import { randomBytes } from "node:crypto";
import { access, chmod, chown, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ServerAccount } from "./processes";
import { run } from "./processes";

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
 * Generated with the `openssl` CLI; keys are P-256, written 0600 in a folder only this user can list.
 */
export async function ensureLocalCa(dir: string, server: ServerAccount): Promise<TlsFiles> {
  const files = tlsFiles(dir);
  if (!(await exists(files.caCertificate)) || !(await exists(files.caKey))) {
    await generate(dir, async (work) => {
      await run("openssl", [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        join(work, "ca.key"),
        "-out",
        join(work, "ca.crt"),
        "-days",
        "3650",
        "-sha256",
        "-subj",
        "/CN=aurora-restore local RDS CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ]);
      return ["ca.key", "ca.crt"];
    });
    await rm(files.serverCertificate, { force: true });
  }
  if (!(await exists(files.serverCertificate)) || !(await exists(files.serverKey))) {
    await generate(dir, async (work) => {
      const extensions = join(work, "server.ext");
      await writeFile(
        extensions,
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" +
          "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
      );
      await run("openssl", [
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        join(work, "server.key"),
        "-out",
        join(work, "server.csr"),
        "-subj",
        "/CN=localhost",
      ]);
      await run("openssl", [
        "x509",
        "-req",
        "-in",
        join(work, "server.csr"),
        "-CA",
        files.caCertificate,
        "-CAkey",
        files.caKey,
        "-set_serial",
        `0x${randomBytes(16).toString("hex")}`,
        "-days",
        "825",
        "-sha256",
        "-extfile",
        extensions,
        "-out",
        join(work, "server.crt"),
      ]);
      return ["server.key", "server.crt"];
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

/** Generates into a private temporary folder, then moves the files in (keys 0600, certificates 0644). */
async function generate(dir: string, make: (work: string) => Promise<string[]>): Promise<void> {
  const work = await mkdtemp(join(dir, "tmp-"));
  try {
    await chmod(work, 0o700);
    for (const name of await make(work)) {
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
