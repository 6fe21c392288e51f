import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { recordReliability } from "../../../../test/reliability/record";
import { runCli } from "../../../cli/src/cli";
import { runDemoOn } from "../../src/demo/run-demo";
import { requestManualRestore } from "../../src/runtime/manual-restore";
import { listAllOperations } from "../../src/runtime/open-state";
import { type LocalRuntime, startLocalRuntime } from "../../src/runtime/start-local-runtime";
import { awsFault, sdkErrors } from "./support/faults";
import { collectNeedles, type Haystack, type Needle, scan, stateFiles, text } from "./support/leak-scan";
import { type ReliabilityWorld, sourceMaster, startReliabilityWorld } from "./support/world";

/**
 * Suite 5 of the reliability suite, "Leaks": full runs at debug log level (instant clusters with a second
 * refresh, a failed one and a refused request; then the demo on real PostgreSQL), after which every password
 * the secret store holds (each version) and all key material (KMS keys, and the data keys they wrapped) is
 * searched for in every file of the state folder but the secret and key stores' own, in the log, the audit
 * trail, the bus archive, the notifications, the dead letters, the operations and what the CLI prints.
 */

/** What the CLI prints for every operation (`operations show`, `audit`, both as text and --json) and the lists. */
async function cliOutputs(stateDir: string, operationIds: string[]): Promise<Haystack[]> {
  const outputs: Haystack[] = [];
  const run = async (args: string[]) => {
    let out = "";
    const io = { stdout: { write: (c: string) => (out += c) }, stderr: { write: (c: string) => (out += c) } };
    const code = await runCli([...args, "--state-dir", stateDir], io);
    outputs.push(text(`aurora-restore ${args.join(" ")} (exit ${code})`, out));
    return { code, out };
  };
  expect((await run(["operations", "list"])).code).toBe(0);
  await run(["local", "dlq", "list"]);
  for (const id of operationIds) {
    for (const json of [[], ["--json"]]) {
      expect((await run(["operations", "show", id, ...json])).code).toBe(0);
      expect((await run(["audit", id, ...json])).code).toBe(0);
    }
  }
  return outputs;
}

/** The stores read through their APIs (dynalite's files may be compressed): operations, audit, archive, SNS, DLQ. */
async function storedRecords(
  runtime: LocalRuntime,
): Promise<{ haystacks: Haystack[]; operationIds: string[] }> {
  const operations = await listAllOperations(runtime.store);
  const haystacks: Haystack[] = [text("operations", operations)];
  for (const operation of operations) {
    haystacks.push(
      text(`audit of ${operation.operationId}`, await runtime.audit.listByOperation(operation.operationId)),
    );
  }
  for (const archive of runtime.bridge.listArchives()) {
    haystacks.push(
      text(`archive ${archive.archiveName}`, runtime.bridge.archivedEvents(archive.archiveName)),
    );
  }
  haystacks.push(text("notifications", await runtime.sns.listMessages()));
  haystacks.push(text("dead letters", runtime.bridge.listDeadLetters()));
  return { haystacks, operationIds: operations.map((o) => o.operationId) };
}

/** The scan must find a planted copy of each kind of needle, or it proves nothing. */
function expectScanFinds(needles: readonly Needle[]): void {
  const password = needles.find((n) => n.what.startsWith("password"))!;
  const key = needles.find((n) => n.what.startsWith("key material") && n.what.endsWith("(hex)"))!;
  const dataKey = needles.find((n) => n.what.startsWith("data key") && n.what.endsWith("(bytes)"))!;
  const planted = Buffer.concat([Buffer.from("log line "), password.bytes, key.bytes, dataKey.bytes]);
  expect(scan(needles, [{ where: "planted", bytes: planted }])).toEqual([
    `${password.what} in planted`,
    `${key.what} in planted`,
    `${dataKey.what} in planted`,
  ]);
}

describe("Leaks", () => {
  let world: ReliabilityWorld | undefined;
  let dir: string | undefined;
  let runtime: LocalRuntime | undefined;

  afterAll(async () => {
    await world?.stop();
    await runtime?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it("instant clusters at debug level: no password or key material outside the secret and key stores", async () => {
    world = await startReliabilityWorld({ logLevel: "debug" });
    const { runtime: rt } = world;
    const [first, second] = await world.plan("leaks", "leaks", 2);
    await world.snapshot("leaks-1");
    await world.ended("leaks", 2, 60_000);
    await rt.idle();
    // Again: the targets exist, so new credentials are staged as AWSPENDING and promoted, old ones kept.
    await world.snapshot("leaks-2");
    await world.ended("leaks", 4, 60_000);
    await rt.idle();
    // A refresh that fails after staging credentials (they are discarded), with an AWS error message...
    rt.calls.faults = (call, phase) =>
      phase === "before" &&
      call.stage === "configure" &&
      call.call === "putSecretValue" &&
      call.subject?.includes("app_reader")
        ? awsFault(call, sdkErrors.accessDenied)
        : undefined;
    const today = new Date().toISOString().slice(0, 10);
    await requestManualRestore(rt, {
      targetClusterId: first!,
      sourceSnapshotDate: today,
      requestedBy: "leaks",
    });
    await world.ended("leaks", 5, 60_000);
    rt.calls.faults = undefined;
    // ...and a request refused (its reason is audited).
    await expect(
      requestManualRestore(rt, {
        targetClusterId: second!,
        sourceSnapshotDate: "2001-01-01",
        requestedBy: "leaks",
      }),
    ).rejects.toThrow("no available snapshot taken on 2001-01-01");
    await rt.idle();

    const debugLines = world.log.filter((line) => line.includes(" DEBUG "));
    expect(debugLines.length).toBeGreaterThan(50);
    const needles = [
      ...(await collectNeedles(world.stateDir, rt.secrets)),
      { what: "the source's master password", bytes: Buffer.from(sourceMaster.password) },
    ];
    // 3 secrets per target, 2 targets, refreshed twice (the failed refresh's versions were discarded).
    expect(needles.filter((n) => n.what.startsWith("password")).length).toBeGreaterThanOrEqual(3 * 2 * 2);
    expectScanFinds(needles);
    const stored = await storedRecords(rt);
    await rt.stop();
    const haystacks = [
      text("log", world.log.join("")),
      ...stored.haystacks,
      ...(await cliOutputs(world.stateDir, stored.operationIds)),
      ...(await stateFiles(world.stateDir)),
    ];
    const leaks = scan(needles, haystacks);
    recordReliability("leaks", { operations: stored.operationIds.length, leaks: leaks.length });
    console.log(
      `leaks (instant): ${needles.length} needles in ${haystacks.length} places (${debugLines.length} debug lines): ${leaks.length} found`,
    );
    expect(leaks).toEqual([]);
  }, 180_000);

  it("real PostgreSQL, the demo at debug level: no password or key material outside the secret and key stores", async () => {
    dir = await mkdtemp(join(tmpdir(), "aurora-leaks-"));
    // Run as root, the servers run as 'postgres', which must pass through this folder.
    await chmod(dir, 0o711);
    const stateDir = join(dir, "state");
    const planFile = join(dir, "local-demo.json");
    runtime = await startLocalRuntime({ stateDir, logLevel: "debug", watcherIntervalMs: 250 });
    const progress: string[] = [];
    const result = await runDemoOn(runtime, {
      rows: 40,
      planFile,
      progress: { write: (line: string) => progress.push(line) },
      timeoutMs: 240_000,
    });
    expect(result.status, result.error?.message).toBe("succeeded");
    await runtime.idle();

    const needles = await collectNeedles(stateDir, runtime.secrets);
    expectScanFinds(needles);
    const stored = await storedRecords(runtime);
    await runtime.stop();
    const log = await readFile(join(stateDir, "logs", "pipeline.log"), "utf8");
    expect(log).toContain(" DEBUG ");
    const haystacks = [
      text("demo progress", progress.join("")),
      text("demo summary", result),
      text("plan file", await readFile(planFile, "utf8")),
      ...stored.haystacks,
      ...(await cliOutputs(stateDir, stored.operationIds)),
      ...(await stateFiles(stateDir)),
    ];
    const leaks = scan(needles, haystacks);
    const megabytes = haystacks.reduce((sum, h) => sum + h.bytes.length, 0) / 1e6;
    recordReliability("leaks", { operations: stored.operationIds.length, leaks: leaks.length });
    console.log(
      `leaks (PostgreSQL): ${needles.length} needles in ${haystacks.length} places (${megabytes.toFixed(0)} MB): ${leaks.length} found`,
    );
    expect(leaks).toEqual([]);
  }, 420_000);
});
