import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalKms } from "../../src/kms/local-kms";
import { LocalRds } from "../../src/rds/local-rds";
import { connect, EventLog, production, query, stagingInProductionRegion, tempStateDir } from "./helpers";

const accounts = 50;
const opening = 1000;

/** Transfers in many small transactions until stopped; each moves money and logs the move, atomically. */
async function transferLoop(client: pg.Client, seed: number, stop: { requested: boolean }): Promise<number> {
  let done = 0;
  let x = seed;
  while (!stop.requested) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const from = (x % accounts) + 1;
    const to = ((x >> 8) % accounts) + 1;
    const amount = (x >> 16) % 50;
    await client.query("BEGIN");
    // Rows are locked in id order so the two concurrent loops never deadlock (40P01).
    const moves = [
      [from, -amount],
      [to, amount],
    ].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
    for (const [id, delta] of moves) {
      await client.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [delta, id]);
    }
    await client.query(
      "INSERT INTO transfers(source, target, amount, padding) VALUES ($1, $2, $3, repeat('x', 200))",
      [from, to, amount],
    );
    await client.query("COMMIT");
    done++;
  }
  return done;
}

// Two PostgreSQL servers: the source under load, and its restore from the shared snapshot's ARN.
describe("[slow] a snapshot taken under write load restores to a consistent state", {
  timeout: 180_000,
}, () => {
  const log = new EventLog();
  let state: Awaited<ReturnType<typeof tempStateDir>>;
  let rds: LocalRds;
  let ca: string;
  let kms: LocalKms;
  const password = "load-Passw0rd";

  beforeAll(async () => {
    state = await tempStateDir();
    kms = new LocalKms({ stateDir: state.dir });
    rds = new LocalRds({ stateDir: state.dir, kms, emit: log.emit, durations: { create: 0, snapshot: 0 } });
    const key = await kms.createKey({
      ...production,
      policy: { allowAccounts: [stagingInProductionRegion.accountId] },
    });
    await rds.createCluster({
      ...production,
      clusterIdentifier: "bank",
      masterUsername: "master",
      masterPassword: password,
      kmsKeyId: key.arn,
      databaseName: "bank",
    });
    await rds.idle();
    ca = await rds.caCertificatePem();
    await query(
      await rds.port(production).describeCluster("bank"),
      { password, ca, database: "bank" },
      `
      CREATE TABLE accounts(id int PRIMARY KEY, balance bigint NOT NULL);
      INSERT INTO accounts SELECT g, ${opening} FROM generate_series(1, ${accounts}) g;
      CREATE TABLE transfers(id bigserial PRIMARY KEY, source int, target int, amount bigint, padding text);`,
    );
  }, 120_000);

  afterAll(async () => {
    await rds?.stop();
    await state?.cleanup();
  }, 120_000);

  it("keeps every committed transfer and none half-applied", async () => {
    const source = await rds.port(production).describeCluster("bank");
    const options = { password, ca, database: "bank" };
    const count = async (cluster: typeof source) =>
      Number((await query<{ n: string }>(cluster, options, "SELECT count(*) AS n FROM transfers"))[0]?.n);
    const writers = await Promise.all([connect(source, options), connect(source, options)]);
    const stop = { requested: false };
    const loops = writers.map((client, i) => transferLoop(client, i + 7, stop));
    // Checkpoints during the copy move pg_control past the backup's start: only backup_label and the WAL from
    // the start checkpoint on make the copy consistent then.
    const checkpointer = await connect(source, options);
    writers.push(checkpointer);
    loops.push(
      (async () => {
        while (!stop.requested) {
          await checkpointer.query("CHECKPOINT");
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        return 0;
      })(),
    );
    try {
      while ((await count(source)) < 200) await new Promise((resolve) => setTimeout(resolve, 20));
      const before = await count(source);
      await rds
        .port(production)
        .createClusterSnapshot({ clusterIdentifier: "bank", snapshotIdentifier: "under-load" });
      await rds.idle();
      const after = await count(source);
      expect(after).toBeGreaterThan(before); // the writers kept committing while the files were copied
      stop.requested = true;
      await Promise.all(loops);

      await rds.port(production).shareClusterSnapshot({
        snapshotIdentifier: "under-load",
        accountIds: [stagingInProductionRegion.accountId],
      });
      const target = rds.port(stagingInProductionRegion);
      const targetKey = await kms.createKey({ ...stagingInProductionRegion });
      await target.restoreClusterFromSnapshot({
        clusterIdentifier: "bank-copy",
        snapshotIdentifier: "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:under-load",
        engine: "aurora-postgresql",
        kmsKeyId: targetKey.arn,
      });
      await rds.idle();
      const restored = await target.describeCluster("bank-copy");
      expect(restored.status).toBe("available");

      const restoredCount = await count(restored);
      expect(restoredCount).toBeGreaterThanOrEqual(before);
      expect(restoredCount).toBeLessThanOrEqual(after);
      const [totals] = await query<{ total: string; accounts: string }>(
        restored,
        options,
        "SELECT sum(balance) AS total, count(*) AS accounts FROM accounts",
      );
      expect(totals).toEqual({ total: String(accounts * opening), accounts: String(accounts) });
      // Each balance equals the opening balance plus what the transfer log says came in and went out.
      const mismatches = await query(
        restored,
        options,
        `
        SELECT a.id FROM accounts a
        LEFT JOIN (SELECT target AS id, sum(amount) AS v FROM transfers GROUP BY target) i ON i.id = a.id
        LEFT JOIN (SELECT source AS id, sum(amount) AS v FROM transfers GROUP BY source) o ON o.id = a.id
        WHERE a.balance <> ${opening} + coalesce(i.v, 0) - coalesce(o.v, 0)`,
      );
      expect(mismatches).toEqual([]);
      const [check] = await query<{ ok: boolean }>(
        restored,
        options,
        "SELECT bool_and(id IS NOT NULL) AS ok FROM transfers",
      );
      expect(check?.ok).toBe(true);
    } finally {
      stop.requested = true;
      await Promise.allSettled(loops);
      await Promise.allSettled(writers.map((client) => client.end()));
    }
  });
});
