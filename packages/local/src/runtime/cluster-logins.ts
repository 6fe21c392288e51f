import type { Plan } from "@aurora-restore/core/plan/index";
import { isAwsCallError } from "@aurora-restore/core/ports/index";
import { demoNames, demoProduction } from "../demo/demo-plan";
import { demoDatabase } from "../demo/sample-data";
import type { LocalSecretsManager } from "../secrets/local-secrets";
import type { LocalClusterInfo } from "./local-clusters";

/** A user of a cluster and the secret (in the cluster's account and region) that holds its password. */
export interface ClusterLogin {
  username: string;
  secretName: string;
  /** The database the secret names (the plan's), if it names one. */
  database?: string;
}

/**
 * The logins the state folder keeps secrets for: on a plan's target, its master user and application users
 * (the pipeline writes their secrets); on the demo's production cluster, its master user (the demo's own
 * secret). Other clusters have none known.
 */
export function knownLogins(cluster: LocalClusterInfo, plans: readonly Plan[]): ClusterLogin[] {
  const isDemoSource =
    cluster.accountId === demoProduction.accountId &&
    cluster.region === demoProduction.region &&
    cluster.identifier === demoNames.sourceCluster;
  if (isDemoSource) {
    return [
      { username: cluster.masterUsername, secretName: demoNames.sourceMasterSecret, database: demoDatabase },
    ];
  }
  const target = plans
    .flatMap((plan) => plan.targets)
    .find(
      (t) =>
        t.accountId === cluster.accountId &&
        t.region === cluster.region &&
        t.clusterIdentifier === cluster.identifier,
    );
  if (!target) return [];
  return [
    { username: cluster.masterUsername, secretName: target.masterSecretName, database: target.database },
    ...target.applicationUsers.map((u) => ({
      username: u.username,
      secretName: u.secretName,
      database: target.database,
    })),
  ];
}

/** The password the login's secret holds now (AWSCURRENT), or undefined when the secret is not there yet. */
export async function readLoginPassword(
  secrets: LocalSecretsManager,
  cluster: LocalClusterInfo,
  login: ClusterLogin,
): Promise<string | undefined> {
  try {
    const value = await secrets.port(cluster).getSecretValue({ secretId: login.secretName });
    const parsed = JSON.parse(value.secretString) as { password?: unknown };
    return typeof parsed.password === "string" ? parsed.password : undefined;
  } catch (error) {
    if (isAwsCallError(error, "ResourceNotFoundException") || error instanceof SyntaxError) return undefined;
    throw error;
  }
}
