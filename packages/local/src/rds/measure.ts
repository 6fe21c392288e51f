/**
 * Measures how long a snapshot and a restore of a ~100 MB cluster take on this machine (printed, not asserted):
 *   npx tsx packages/local/src/rds/measure.ts [megabytes]
 * Uses a temporary state folder, removed at the end. Simulated durations are set to 0 so only real work counts.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { LocalKms } from "../kms/local-kms";
import { LocalRds } from "./local-rds";

const targetMb = Number(process.argv[2] ?? "100");
const production = { accountId: "111111111111", region: "us-east-1" };
const staging = { accountId: "222222222222", region: "eu-west-1" };
const password = "measure-Passw0rd";
const zero = { create: 0, copy: 0, rename: 0, passwordChange: 0, delete: 0, snapshot: 0 };

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = process.hrtime.bigint();
  const result = await work();
  console.log(`${label.padEnd(48)} ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(2)} s`);
  return result;
}

async function main(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), "local-rds-measure-"));
  const kms = new LocalKms({ stateDir });
  const rds = new LocalRds({ stateDir, kms, emit: async () => undefined, durations: zero });
  try {
    const prodKey = await kms.createKey({ ...production, policy: { allowAccounts: [staging.accountId] } });
    const stagingKey = await kms.createKey({ ...staging });
    await timed("create cluster (initdb + start)", async () => {
      await rds.createCluster({
        ...production,
        clusterIdentifier: "prod",
        masterUsername: "master",
        masterPassword: password,
        kmsKeyId: prodKey.arn,
        databaseName: "app",
      });
      await rds.idle();
    });
    const prod = await rds.port(production).describeCluster("prod");
    const ca = await rds.caCertificatePem();
    const client = new pg.Client({
      host: prod.endpoint,
      port: prod.port,
      user: "master",
      password,
      database: "app",
      ssl: { ca, rejectUnauthorized: true },
    });
    await client.connect();
    // ~1 KB per row of poorly compressible text (md5 digests), so the compressed snapshot stays realistic.
    const rows = targetMb * 1024;
    await timed(`load ~${targetMb} MB`, () =>
      client.query(
        `CREATE TABLE filler AS SELECT g AS id, (SELECT string_agg(md5(g::text || '-' || i), '') FROM generate_series(1, 30) i) AS payload FROM generate_series(1, ${rows}) g`,
      ),
    );
    const size = await client.query<{ size: string }>(
      "SELECT pg_size_pretty(pg_database_size('app')) AS size",
    );
    await client.end();
    console.log(`${"database size".padEnd(48)} ${size.rows[0]?.size}`);

    await timed("snapshot (consistent copy + tar/gzip + AES-GCM)", async () => {
      await rds
        .port(production)
        .createClusterSnapshot({ clusterIdentifier: "prod", snapshotIdentifier: "measure" });
      await rds.idle();
    });
    await rds
      .port(production)
      .shareClusterSnapshot({ snapshotIdentifier: "measure", accountIds: [staging.accountId] });
    await timed("copy to another account and region (re-encrypt)", async () => {
      await rds.port(staging).copyClusterSnapshot({
        source: "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:measure",
        targetIdentifier: "measure-copy",
        sourceRegion: production.region,
        kmsKeyId: stagingKey.arn,
      });
      await rds.idle();
    });
    await timed("restore (decrypt + verify + unpack + recovery)", async () => {
      await rds.port(staging).restoreClusterFromSnapshot({
        clusterIdentifier: "staging",
        snapshotIdentifier: "measure-copy",
        engine: "aurora-postgresql",
      });
      await rds.idle();
    });
    const restored = await rds.port(staging).describeCluster("staging");
    console.log(`${"restored cluster status".padEnd(48)} ${restored.status}`);
  } finally {
    await rds.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

await main();
