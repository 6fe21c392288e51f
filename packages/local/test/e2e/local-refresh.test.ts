import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAwsCallError, resourceNames } from "@aurora-restore/core";
import { stagesInFlowOrder } from "@aurora-restore/core/events/shapes";
import type { DbSession } from "@aurora-restore/core/ports/index";
import { snapshotIdentifierOfArn } from "@aurora-restore/core/stages/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoNames, demoProduction, demoStaging } from "../../src/demo/demo-plan";
import type { DemoResult } from "../../src/demo/demo-result";
import { readCredentials } from "../../src/demo/demo-setup";
import { runDemoOn } from "../../src/demo/run-demo";
import { demoDatabase, tableChecksums } from "../../src/demo/sample-data";
import { type LocalRuntime, startLocalRuntime } from "../../src/runtime/start-local-runtime";

/**
 * The whole pipeline on the embedded default with real PostgreSQL: the demo scenario twice on one runtime
 * (the second run replaces the target through cutover), then the data, logins, audit, notification and
 * cleanup are checked against what the product promises.
 */

describe("a local refresh, end to end", () => {
  let dir: string;
  let runtime: LocalRuntime;
  let first: DemoResult;
  const progress: string[] = [];
  /** Moves the local RDS's clock: automated snapshot names are per minute, and the test refreshes twice. */
  let rdsClockOffsetMs = 0;

  async function secretJson(
    name: string,
    versionStage?: string,
  ): Promise<{ username?: string; password: string; host?: string; port?: number }> {
    const value = await runtime.secrets.port(demoStaging).getSecretValue({ secretId: name, versionStage });
    return JSON.parse(value.secretString) as { username?: string; password: string };
  }

  async function connectTarget(user: string, password: string, database = demoDatabase): Promise<DbSession> {
    const cluster = await runtime.rds.port(demoStaging).describeCluster(demoNames.targetCluster);
    return runtime.database.connect({
      host: cluster.endpoint!,
      port: cluster.port!,
      database,
      user,
      password,
    });
  }

  async function connectSource(): Promise<DbSession> {
    const credentials = (await readCredentials(runtime))!;
    const cluster = await runtime.rds.port(demoProduction).describeCluster(demoNames.sourceCluster);
    return runtime.database.connect({
      host: cluster.endpoint!,
      port: cluster.port!,
      database: demoDatabase,
      user: credentials.username,
      password: credentials.password,
    });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "aurora-e2e-"));
    // When tests run as root the servers run as 'postgres', which must be able to traverse to the state folder.
    await chmod(dir, 0o711);
    runtime = await startLocalRuntime({
      stateDir: join(dir, "state"),
      watcherIntervalMs: 250,
      rdsClock: () => new Date(Date.now() + rdsClockOffsetMs),
    });
    first = await runDemoOn(runtime, {
      rows: 40,
      planFile: join(dir, "local-demo.json"),
      progress: { write: (line: string) => progress.push(line) },
      timeoutMs: 240_000,
    });
  }, 300_000);

  afterAll(async () => {
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it("succeeds, with every stage timed", () => {
    expect(first.error).toBeUndefined();
    expect(first.status).toBe("succeeded");
    expect(first.stages.map((s) => s.name)).toEqual(expect.arrayContaining(stagesInFlowOrder.slice(0, 7)));
    expect(first.checks.length).toBeGreaterThan(0);
    expect(first.checks.every((c) => c.passed)).toBe(true);
    expect(first.target).toMatchObject({ clusterId: demoNames.targetCluster, endpoint: "127.0.0.1" });
  });

  it("copies the data table by table, with the personal data masked", async () => {
    const reader = await secretJson(`aurora-restore/${demoNames.targetCluster}/${demoNames.readerUser}`);
    const target = await connectTarget(demoNames.readerUser, reader.password);
    const source = await connectSource();
    try {
      const expected = await tableChecksums(source);
      expect(expected.customers?.rows).toBe(40);
      expect(await tableChecksums(target)).toEqual(expected);
      const masked = await target.query<{ unmasked: number }>(
        "SELECT count(*)::int AS unmasked FROM public.customers WHERE email NOT LIKE '%@example.invalid' OR full_name NOT LIKE 'Customer %'",
      );
      expect(masked.rows[0]?.unmasked).toBe(0);
      const sourceEmails = await source.query<{ email: string }>(
        "SELECT email FROM public.customers ORDER BY id LIMIT 5",
      );
      const leaked = await target.query("SELECT 1 FROM public.customers WHERE email = ANY($1)", [
        sourceEmails.rows.map((r) => r.email),
      ]);
      expect(leaked.rowCount).toBe(0);
    } finally {
      await target.close();
      await source.close();
    }
  });

  it("lets the application users log in with the passwords from their secrets, with their grants", async () => {
    const writer = await secretJson(`aurora-restore/${demoNames.targetCluster}/${demoNames.writerUser}`);
    const session = await connectTarget(demoNames.writerUser, writer.password);
    try {
      await session.query("UPDATE public.products SET price_cents = price_cents WHERE id = 1");
    } finally {
      await session.close();
    }
    const reader = await secretJson(`aurora-restore/${demoNames.targetCluster}/${demoNames.readerUser}`);
    const readOnly = await connectTarget(demoNames.readerUser, reader.password);
    try {
      await expect(readOnly.query("DELETE FROM public.orders")).rejects.toMatchObject({ code: "42501" });
    } finally {
      await readOnly.close();
    }
  });

  it("rejects the master password that came with the snapshot; the new one is in the target's secret", async () => {
    const old = (await readCredentials(runtime))!;
    await expect(connectTarget(old.username, old.password, "postgres")).rejects.toMatchObject({
      code: "28P01",
    });
    const fresh = await secretJson(demoNames.targetMasterSecret);
    expect(fresh.password).not.toBe(old.password);
    const session = await connectTarget(fresh.username ?? old.username, fresh.password, "postgres");
    await session.close();
  });

  it("records every stage in the audit trail, in flow order", async () => {
    const trail = (await runtime.audit.listByOperation(first.operationId)).sort((a, b) =>
      a.entryId.localeCompare(b.entryId),
    );
    const firstSeen = stagesInFlowOrder.map((stage) => trail.findIndex((e) => e.stage === stage));
    expect(firstSeen.every((index) => index >= 0)).toBe(true);
    // trigger..cutover run one after another; notify and cleanup both react to the end, in either order.
    const sequential = firstSeen.slice(0, 7);
    expect([...sequential].sort((a, b) => a - b)).toEqual(sequential);
    expect(Math.min(...firstSeen.slice(7))).toBeGreaterThan(sequential[6]!);
    expect(JSON.stringify(trail)).not.toMatch(/"password"\s*:\s*"(?!\[redacted\])/);
  });

  it("publishes the notification", async () => {
    const messages = await runtime.sns.listMessages(runtime.topicArn);
    expect(messages.some((m) => m.message.includes(first.operationId))).toBe(true);
  });

  it("deletes the intermediate snapshots", async () => {
    // The copies the operation recorded (shared copies: this refresh was their only user).
    const operation = await runtime.store.get(first.operationId);
    const copyOf = (key: string) => snapshotIdentifierOfArn(String(operation?.outputs[key]));
    const gone = async (location: typeof demoStaging, identifier: string) =>
      runtime.rds
        .port(location)
        .describeClusterSnapshot(identifier)
        .then(
          (s) => s.status,
          (error: unknown) => (isAwsCallError(error, "DBClusterSnapshotNotFoundFault") ? "gone" : error),
        );
    expect(await gone(demoProduction, copyOf("shareableSnapshotArn")!)).toBe("gone");
    expect(await gone(demoStaging, copyOf("targetSnapshotArn")!)).toBe("gone");
    expect(await gone({ ...demoStaging, region: demoProduction.region }, copyOf("hopSnapshotArn")!)).toBe(
      "gone",
    );
  });

  it("refreshes again: the new cluster takes the name, the old one is deleted", async () => {
    const staging = runtime.rds.port(demoStaging);
    const before = await staging.describeCluster(demoNames.targetCluster);
    const secretNames = [
      demoNames.targetMasterSecret,
      `aurora-restore/${demoNames.targetCluster}/${demoNames.readerUser}`,
    ];
    const firstRunSecrets = await Promise.all(secretNames.map((name) => secretJson(name)));
    rdsClockOffsetMs += 60_000;
    const second = await runDemoOn(runtime, {
      rows: 25,
      planFile: join(dir, "local-demo.json"),
      progress: { write: (line: string) => progress.push(line) },
      timeoutMs: 240_000,
    });
    expect(second.error).toBeUndefined();
    expect(second.status).toBe("succeeded");
    expect(second.operationId).not.toBe(first.operationId);
    const after = await staging.describeCluster(demoNames.targetCluster);
    expect(after.arn === before.arn && after.createdAt === before.createdAt).toBe(false);
    const names = resourceNames(second.operationId, demoNames.targetCluster);
    for (const identifier of [names.oldCluster, names.nextCluster]) {
      await expect(staging.describeCluster(identifier)).rejects.toMatchObject({
        code: "DBClusterNotFoundFault",
      });
    }
    // The first run's credentials stayed AWSCURRENT (what the target's applications read) until cutover
    // replaced them: they are exactly AWSPREVIOUS now, and no staged AWSPENDING version is left behind.
    for (const [i, name] of secretNames.entries()) {
      expect(await secretJson(name, "AWSPREVIOUS")).toEqual(firstRunSecrets[i]);
      const promoted = await secretJson(name);
      expect(promoted.password).not.toBe(firstRunSecrets[i]!.password);
      expect(promoted).toMatchObject({ host: after.endpoint, port: after.port });
      const stages = Object.values((await runtime.secrets.port(demoStaging).describeSecret(name)).versions);
      expect(stages.flat()).not.toContain("AWSPENDING");
    }
    const reader = await secretJson(`aurora-restore/${demoNames.targetCluster}/${demoNames.readerUser}`);
    const session = await connectTarget(demoNames.readerUser, reader.password);
    try {
      const { rows } = await session.query<{ n: number }>("SELECT count(*)::int AS n FROM public.customers");
      expect(rows[0]?.n).toBe(25);
    } finally {
      await session.close();
    }
  }, 300_000);
});
