import { type AccountRegion, isAwsCallError } from "@aurora-restore/core/ports/index";
import { generatePassword } from "@aurora-restore/core/security/passwords";
import type { LocalKms } from "../kms/local-kms";
import type { LocalRuntime } from "../runtime/start-local-runtime";
import { demoNames, demoProduction, demoStaging } from "./demo-plan";
import { demoDatabase, seedSampleData } from "./sample-data";

export const demoMasterUsername = "demo_admin";

/** Creates the demo's customer keys (or finds them again) and makes sure their policies allow the flow. */
export async function ensureDemoKeys(
  kms: LocalKms,
): Promise<{ shareableKeyArn: string; targetKeyArn: string }> {
  const shareable = await ensureKey(
    kms,
    demoProduction,
    demoNames.shareableKeyAlias,
    [demoStaging.accountId],
    "Shareable copies of production snapshots (used by staging)",
  );
  const target = await ensureKey(
    kms,
    demoStaging,
    demoNames.targetKeyAlias,
    [],
    "Staging clusters refreshed by aurora-restore",
  );
  return { shareableKeyArn: shareable, targetKeyArn: target };
}

async function ensureKey(
  kms: LocalKms,
  location: AccountRegion,
  alias: string,
  allowAccounts: string[],
  description: string,
): Promise<string> {
  try {
    const existing = await kms.describeKey(location, alias);
    await kms.putKeyPolicy(existing.arn, location, { allowAccounts });
    return existing.arn;
  } catch (error) {
    if (!isAwsCallError(error, "NotFoundException")) throw error;
    const created = await kms.createKey({ ...location, alias, description, policy: { allowAccounts } });
    return created.arn;
  }
}

interface MasterCredentials {
  username: string;
  password: string;
}

/**
 * The "production" cluster with fresh sample data: created on the first run (encrypted with production's
 * default aws/rds key, as many real clusters are, which is what makes the prepare stage's copy necessary),
 * found again later. Its master password lives in a production secret, never on the console.
 */
export async function ensureProductionCluster(
  runtime: LocalRuntime,
  rows: number,
  progress: (line: string) => void,
): Promise<{ endpoint: string; port: number }> {
  const rds = runtime.rds.port(demoProduction);
  const secrets = runtime.secrets.port(demoProduction);
  let credentials = await readCredentials(runtime);
  let cluster = await rds.describeCluster(demoNames.sourceCluster).catch((error: unknown) => {
    if (isAwsCallError(error, "DBClusterNotFoundFault")) return undefined;
    throw error;
  });
  if (!cluster || !credentials) {
    if (cluster) {
      throw new Error(
        `Cluster ${demoNames.sourceCluster} exists but its secret ${demoNames.sourceMasterSecret} is missing; delete ${runtime.stateDir} to start the demo afresh`,
      );
    }
    progress(
      `Creating production cluster ${demoNames.sourceCluster} (${demoProduction.accountId}, ${demoProduction.region})`,
    );
    credentials = { username: demoMasterUsername, password: generatePassword() };
    const value = JSON.stringify({ engine: "postgres", ...credentials });
    await secrets
      .createSecret({ name: demoNames.sourceMasterSecret, secretString: value })
      .catch(async (error: unknown) => {
        if (!isAwsCallError(error, "ResourceExistsException")) throw error;
        await secrets.putSecretValue({ secretId: demoNames.sourceMasterSecret, secretString: value });
      });
    await runtime.rds.createCluster({
      ...demoProduction,
      clusterIdentifier: demoNames.sourceCluster,
      masterUsername: credentials.username,
      masterPassword: credentials.password,
      databaseName: demoDatabase,
    });
  }
  cluster = await runtime.rds.waitForCluster(demoProduction, demoNames.sourceCluster);
  if (!cluster.endpoint || !cluster.port)
    throw new Error(`Cluster ${demoNames.sourceCluster} has no endpoint`);
  const endpoint = { host: cluster.endpoint, port: cluster.port };
  const admin = await runtime.database.connect({
    ...endpoint,
    database: "postgres",
    user: credentials.username,
    password: credentials.password,
  });
  try {
    const { rows: found } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [demoDatabase]);
    if (found.length === 0) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(demoDatabase)}`);
  } finally {
    await admin.close();
  }
  progress(
    `Loading sample data into ${demoNames.sourceCluster}/${demoDatabase}: ${rows} customers (names and emails to mask), products, orders`,
  );
  const session = await runtime.database.connect({
    ...endpoint,
    database: demoDatabase,
    user: credentials.username,
    password: credentials.password,
  });
  try {
    await seedSampleData(session, rows);
  } finally {
    await session.close();
  }
  return { endpoint: endpoint.host, port: endpoint.port };
}

/** Production's master credentials (from its secret), or undefined before the first run. */
export async function readCredentials(runtime: LocalRuntime): Promise<MasterCredentials | undefined> {
  try {
    const value = await runtime.secrets
      .port(demoProduction)
      .getSecretValue({ secretId: demoNames.sourceMasterSecret });
    const parsed = JSON.parse(value.secretString) as Partial<MasterCredentials>;
    if (typeof parsed.username !== "string" || typeof parsed.password !== "string") return undefined;
    return { username: parsed.username, password: parsed.password };
  } catch (error) {
    if (isAwsCallError(error, "ResourceNotFoundException")) return undefined;
    throw error;
  }
}
