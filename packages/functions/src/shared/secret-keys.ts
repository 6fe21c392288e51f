import type { Plan } from "@aurora-restore/core/plan/schema";
import type { AccountRegion } from "@aurora-restore/core/ports/location";
import type { SecretsPort } from "@aurora-restore/core/ports/secrets";

/**
 * The key a plan's secrets are created under. PCI and HIPAA plans ask for data at rest under a customer
 * managed key (as for the tables, stacks/table-schema.ts): their secrets go under the target's key
 * (`targets[].kmsKeyId`), which the configure and cutover roles may use through Secrets Manager only. Other
 * plans' secrets use Secrets Manager's own aws/secretsmanager key. A secret that already exists keeps its key.
 */
export function planNeedsCustomerKey(plan: Pick<Plan, "compliance">): boolean {
  return plan.compliance !== "default";
}

/** For a secret name in an account and region: the key to create it under, or undefined for aws/secretsmanager. */
export function secretKeyFor(
  plans: readonly Plan[],
  at: AccountRegion,
): (secretName: string) => string | undefined {
  const keys = new Map<string, string>();
  for (const plan of plans) {
    if (!planNeedsCustomerKey(plan)) continue;
    for (const target of plan.targets) {
      if (target.accountId !== at.accountId || target.region !== at.region) continue;
      for (const name of [target.masterSecretName, ...target.applicationUsers.map((u) => u.secretName)]) {
        keys.set(name, target.kmsKeyId);
      }
    }
  }
  return (secretName) => keys.get(secretName);
}

/** The secrets port, creating each secret under `keyFor(name)` unless the caller names a key itself. */
export function withSecretKeys(
  port: SecretsPort,
  keyFor: (secretName: string) => string | undefined,
): SecretsPort {
  return {
    ...port,
    location: port.location,
    createSecret(input) {
      const kmsKeyId = input.kmsKeyId ?? keyFor(input.name);
      return port.createSecret(kmsKeyId ? { ...input, kmsKeyId } : input);
    },
  };
}
