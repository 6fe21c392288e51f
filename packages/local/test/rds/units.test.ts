import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, truncate, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { RDS_SOURCE } from "@aurora-restore/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalKms } from "../../src/kms/local-kms";
import {
  automatedSnapshotIdentifier,
  clusterSnapshotArn,
  normaliseIdentifier,
  parseClusterSnapshotArn,
} from "../../src/rds/arns";
import { scramVerifier, validateMasterPassword } from "../../src/rds/credentials";
import { rdsEvent } from "../../src/rds/events";
import { run } from "../../src/rds/processes";
import { SnapshotIntegrityError, SnapshotStore } from "../../src/rds/snapshot-store";
import { TarWriter } from "../../src/rds/tar-writer";
import { StoppedError, Transitions } from "../../src/rds/transitions";
import { production, rejectsWith, staging, tempStateDir } from "./helpers";

// The samples live beside the repository (../shared/conformance/rds-events); without them that suite is skipped.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const conformance = resolve(repoRoot, "../shared/conformance/rds-events");
const samplesAvailable = existsSync(join(conformance, "event-ids.json"));

describe("identifiers and ARNs", () => {
  it("forms automated snapshot identifiers and ARNs as AWS does", () => {
    const id = automatedSnapshotIdentifier("prod", new Date("2026-01-02T03:04:59Z"));
    expect(id).toBe("rds:prod-2026-01-02-03-04");
    expect(clusterSnapshotArn(production, id)).toBe(
      "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rds:prod-2026-01-02-03-04",
    );
    expect(parseClusterSnapshotArn(clusterSnapshotArn(production, id))).toEqual({
      ...production,
      identifier: id,
    });
    expect(parseClusterSnapshotArn("prod-s1")).toBeUndefined();
    expect(() => parseClusterSnapshotArn("arn:aws:rds:us-east-1:1:cluster:x")).toThrow(
      /not a DB cluster snapshot ARN/,
    );
  });

  it("applies RDS identifier rules and stores identifiers in lowercase", () => {
    expect(normaliseIdentifier("Prod-Next", "id")).toBe("prod-next");
    for (const bad of ["1prod", "prod-", "pr--od", "", "a".repeat(64), "prod_1"]) {
      expect(() => normaliseIdentifier(bad, "DBClusterIdentifier")).toThrow(/InvalidParameterValueException/);
    }
  });
});

describe("master credentials", () => {
  it("stores a SCRAM-SHA-256 verifier, never the password", () => {
    const verifier = scramVerifier("pass-Word-1");
    expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(verifier).not.toContain("pass-Word-1");
    expect(scramVerifier("pass-Word-1")).not.toBe(verifier); // salted
  });

  it("applies RDS's password rules", () => {
    expect(() => validateMasterPassword("short")).toThrow(/8 to 128/);
    expect(() => validateMasterPassword("has space in it")).toThrow(/InvalidParameterValueException/);
    expect(() => validateMasterPassword("with@symbol")).toThrow(/InvalidParameterValueException/);
    expect(() => validateMasterPassword("fine-Passw0rd")).not.toThrow();
  });
});

describe.skipIf(!samplesAvailable)("RDS event payloads (conformance samples)", () => {
  it("have the documented envelope and detail keys", async () => {
    const sample = JSON.parse(
      await readFile(
        join(conformance, "aws-doc_cluster-snapshot_RDS-EVENT-0074_creating-manual.json"),
        "utf8",
      ),
    ) as {
      event: { "detail-type": string; detail: Record<string, unknown> };
    };
    const event = rdsEvent({
      eventId: "RDS-EVENT-0074",
      location: production,
      sourceArn: clusterSnapshotArn(production, "s1"),
      sourceIdentifier: "s1",
      time: new Date("2026-01-02T03:04:05.678Z"),
    });
    expect(event["detail-type"]).toBe(sample.event["detail-type"]);
    expect(Object.keys(event.detail).sort()).toEqual(Object.keys(sample.event.detail).sort());
    expect(event).toMatchObject({
      source: RDS_SOURCE,
      account: production.accountId,
      region: production.region,
      resources: [clusterSnapshotArn(production, "s1")],
    });
    expect(event.detail).toMatchObject({
      EventCategories: ["backup"],
      SourceType: "CLUSTER_SNAPSHOT",
      Date: "2026-01-02T03:04:05.678Z",
      EventID: "RDS-EVENT-0074",
    });
  });

  it("use the categories of AWS's event table", async () => {
    const table = JSON.parse(await readFile(join(conformance, "event-ids.json"), "utf8")) as Record<
      string,
      Record<string, [string, string]>
    >;
    const documented = { ...table.cluster_snapshot, ...table.cluster, ...table["instance (RDS user guide)"] };
    for (const eventId of [
      "RDS-EVENT-0074",
      "RDS-EVENT-0075",
      "RDS-EVENT-0168",
      "RDS-EVENT-0169",
      "RDS-EVENT-0170",
      "RDS-EVENT-0171",
      "RDS-EVENT-0005",
      "RDS-EVENT-0003",
    ] as const) {
      const event = rdsEvent({
        eventId,
        location: production,
        sourceArn: "arn",
        sourceIdentifier: "x",
        time: new Date(),
      });
      expect(event.detail.EventCategories, eventId).toEqual([documented[eventId]?.[0]]);
    }
    const renamed = rdsEvent({
      eventId: "RDS-EVENT-0172",
      location: production,
      sourceArn: "arn",
      sourceIdentifier: "b",
      time: new Date(),
      values: { old: "a", new: "b" },
    });
    expect(renamed.detail.Message).toBe("Renamed cluster from a to b");
  });
});

describe("snapshot files", () => {
  let state: Awaited<ReturnType<typeof tempStateDir>>;
  let kms: LocalKms;
  let store: SnapshotStore;
  let source: string;

  beforeEach(async () => {
    state = await tempStateDir();
    kms = new LocalKms({ stateDir: state.dir });
    store = new SnapshotStore(join(state.dir, "snapshots"), join(state.dir, "work"), kms);
    source = join(state.dir, "source");
    await mkdir(join(source, "base", "1"), { recursive: true });
    await writeFile(join(source, "PG_VERSION"), "17\n");
    await writeFile(join(source, "base", "1", "16384"), Buffer.alloc(64 * 1024, 7));
  });
  afterEach(() => state.cleanup());

  it("round-trips through envelope encryption, storing only the wrapped data key", async () => {
    const key = await kms.createKey({ ...production });
    const envelope = await store.seal({ id: "a", sourceDir: source, keyArn: key.arn, owner: production });
    expect(Object.keys(envelope).sort()).toEqual([
      "authTag",
      "bytes",
      "cipher",
      "content",
      "contentId",
      "format",
      "iv",
      "keyArn",
      "wrappedDataKey",
    ]);
    expect(envelope.keyArn).toBe(key.arn);
    const stored = await readFile(store.dataFile("a"));
    expect(stored.includes(Buffer.alloc(64, 7))).toBe(false);
    await store.unseal({ id: "a", caller: production, destination: join(state.dir, "out") });
    expect(await readFile(join(state.dir, "out", "base", "1", "16384"))).toEqual(Buffer.alloc(64 * 1024, 7));
    expect((await readdir(join(state.dir, "work"))).length).toBe(0);
  });

  it("never loses tar's output, however fast tar exits (regression: Node drops unread output of exited children)", async () => {
    const key = await kms.createKey({ ...production });
    for (let i = 0; i < 12; i++) {
      await store.seal({ id: `r${i}`, sourceDir: source, keyArn: key.arn, owner: production });
      await store.unseal({ id: `r${i}`, caller: production, destination: join(state.dir, `r${i}`) });
      expect(await readFile(join(state.dir, `r${i}`, "PG_VERSION"), "utf8")).toBe("17\n");
    }
  });

  it("seals an archive streamed entry by entry (a snapshot of a running server) that unseal unpacks", async () => {
    const key = await kms.createKey({ ...production });
    const archive = new TarWriter();
    const sealing = store.sealArchive({
      id: "s",
      archive: archive.stream,
      keyArn: key.arn,
      owner: production,
    });
    await archive.directory("base", 0o700);
    await archive.directory("base/1", 0o700);
    expect(await archive.file("base/1/16384", join(source, "base", "1", "16384"))).toBe(true);
    expect(await archive.file("base/1/gone", join(source, "base", "1", "gone"))).toBe(false);
    await archive.content("backup_label", Buffer.from("START WAL LOCATION: 0/2000028\n"), 0o600);
    // A path beyond ustar's 100-byte name field is split into its prefix field.
    const deep = `${"d".repeat(60)}/${"e".repeat(60)}`;
    await archive.directory(deep, 0o700);
    await archive.content(`${deep}/f`, Buffer.from("deep"), 0o600);
    await archive.end();
    await sealing;
    const out = join(state.dir, "out");
    await store.unseal({ id: "s", caller: production, destination: out });
    expect(await readFile(join(out, "base", "1", "16384"))).toEqual(Buffer.alloc(64 * 1024, 7));
    expect(await readFile(join(out, "backup_label"), "utf8")).toBe("START WAL LOCATION: 0/2000028\n");
    expect(await readFile(join(out, deep, "f"), "utf8")).toBe("deep");
    expect(await readdir(join(out, "base", "1"))).toEqual(["16384"]);
  });

  it("pads a file that shrank while it was archived to the size its entry announced (tar still unpacks it)", async () => {
    const file = join(state.dir, "relation");
    const original = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < original.length; i++) original[i] = i % 251;
    await writeFile(file, original);
    const archive = new TarWriter();
    const adding = archive.file("relation", file);
    // The writer holds the header and its first chunk until the archive is read: truncate the file meanwhile.
    while (archive.stream.readableLength < 512 + 256 * 1024) await new Promise((r) => setImmediate(r));
    await truncate(file, 0);
    const chunks: Buffer[] = [];
    archive.stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise((r) => archive.stream.once("end", r));
    expect(await adding).toBe(true);
    await archive.end();
    await ended;
    await writeFile(join(state.dir, "a.tar"), Buffer.concat(chunks));
    const out = join(state.dir, "unpacked");
    await mkdir(out);
    await run("tar", ["-xf", join(state.dir, "a.tar"), "-C", out]);
    const unpacked = await readFile(join(out, "relation"));
    expect(unpacked.length).toBe(original.length);
    expect(unpacked.subarray(0, 256 * 1024)).toEqual(original.subarray(0, 256 * 1024));
    expect(unpacked.subarray(256 * 1024).every((b) => b === 0)).toBe(true);
  });

  it("stops the archive's writer when sealing fails (a refused key), instead of leaving it waiting", async () => {
    const archive = new TarWriter();
    const sealing = store.sealArchive({
      id: "x",
      archive: archive.stream,
      keyArn: "arn:aws:kms:us-east-1:111111111111:key/missing",
      owner: production,
    });
    sealing.catch((error: unknown) => archive.abort(error as Error));
    await expect(sealing).rejects.toThrow();
    const big = join(state.dir, "big");
    await writeFile(big, Buffer.alloc(4 * 1024 * 1024, 1));
    await expect(archive.file("big", big)).rejects.toThrow();
    await expect(readFile(store.dataFile("x"))).rejects.toThrow(/ENOENT/);
  });

  it("fails on a modified file or envelope instead of unpacking garbage", async () => {
    const key = await kms.createKey({ ...production });
    const envelope = await store.seal({ id: "a", sourceDir: source, keyArn: key.arn, owner: production });
    const bytes = await readFile(store.dataFile("a"));
    const last = bytes.length - 1;
    bytes[last] = (bytes[last] ?? 0) ^ 0x80;
    await writeFile(store.dataFile("a"), bytes);
    const out = join(state.dir, "out");
    await expect(store.unseal({ id: "a", caller: production, destination: out })).rejects.toBeInstanceOf(
      SnapshotIntegrityError,
    );
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);

    await store.seal({ id: "b", sourceDir: source, keyArn: key.arn, owner: production });
    await writeFile(store.envelopeFile("b"), JSON.stringify({ ...envelope, contentId: "another" }));
    await expect(store.unseal({ id: "b", caller: production, destination: out })).rejects.toThrow(
      /AES-GCM authentication/,
    );
  });

  it("re-encrypts a copy under a key of the destination, if the source key's policy allows the copying account", async () => {
    const shared = await kms.createKey({ ...production, policy: { allowAccounts: [staging.accountId] } });
    const unshared = await kms.createKey({ ...production });
    const destination = await kms.createKey({ ...staging });
    await store.seal({ id: "shared", sourceDir: source, keyArn: shared.arn, owner: production });
    await store.seal({ id: "unshared", sourceDir: source, keyArn: unshared.arn, owner: production });
    const copy = await store.copy({
      fromId: "shared",
      toId: "copy",
      caller: staging,
      sourceRegion: production.region,
      destinationKeyArn: destination.arn,
    });
    expect(copy.keyArn).toBe(destination.arn);
    await store.unseal({ id: "copy", caller: staging, destination: join(state.dir, "copy") });
    expect(await readFile(join(state.dir, "copy", "PG_VERSION"), "utf8")).toBe("17\n");
    // Only the destination account can open the copy; the source account cannot use the staging key.
    await rejectsWith(
      store.unseal({ id: "copy", caller: production, destination: join(state.dir, "x") }),
      "KMSKeyNotAccessibleFault",
    );
    await rejectsWith(
      store.copy({
        fromId: "unshared",
        toId: "copy2",
        caller: staging,
        sourceRegion: production.region,
        destinationKeyArn: destination.arn,
      }),
      "KMSKeyNotAccessibleFault",
    );
  });
});

describe("transitions", () => {
  it("idle() waits for background work and shutdown() interrupts simulated waits", async () => {
    const errors: string[] = [];
    const transitions = new Transitions({
      delay: () => new Promise(() => undefined),
      onError: (what) => errors.push(what),
    });
    let finished = false;
    let interrupted = false;
    transitions.run("held", async () => {
      try {
        await transitions.wait("create");
        finished = true;
      } catch (error) {
        interrupted = error instanceof StoppedError;
        throw error;
      }
    });
    await transitions.shutdown();
    expect({ finished, interrupted, errors }).toEqual({ finished: false, interrupted: true, errors: [] });
    await expect(transitions.wait("create")).rejects.toBeInstanceOf(StoppedError);
    transitions.reopen();
    const quick = new Transitions({ durations: { create: 0 }, onError: () => undefined });
    let done = false;
    quick.run("quick", async () => {
      await quick.wait("create");
      done = true;
    });
    await quick.idle();
    expect(done).toBe(true);
  });
});
