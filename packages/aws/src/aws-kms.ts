import { locationOf, parseArn } from "@aurora-restore/core/events/arn";
import type { AccessScope, AccountRegion, KmsKeyInfo, KmsPort } from "@aurora-restore/core/ports/index";
import { AwsCallError } from "@aurora-restore/core/ports/index";
import { DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { type AwsAdapterOptions, type AwsClients, type ClientPool, poolFrom } from "./clients";
import { callAws } from "./errors";

/** KMS clients from a pool: one per account, region and role. */
export function kmsClients(pool: ClientPool): AwsClients["kms"] {
  return (scope) => pool.client("kms", scope, (config) => new KMSClient(config));
}

/**
 * KMS over the AWS SDK: describes a plan's keys (by id, ARN or alias) before the pipeline relies on them.
 * DescribeKey alone, on the key: ListAliases has no resource-level permission (it would need `*` in every
 * policy that describes a key) and nothing in the pipeline needs a key's other aliases, so `aliases` is the
 * alias the key was named by, if any.
 */
export function createAwsKms(scope: AccessScope, options: AwsAdapterOptions<"kms"> = {}): KmsPort {
  const clients = options.clients ?? { kms: kmsClients(poolFrom(options)) };
  const location: AccountRegion = { accountId: scope.accountId, region: scope.region };

  return {
    location,
    async describeKey(keyRef) {
      const client = clients.kms(scope);
      const context = { service: "kms" as const, operation: "DescribeKey", resource: keyRef, location };
      const out = await callAws(context, () => client.send(new DescribeKeyCommand({ KeyId: keyRef })));
      const meta = out.KeyMetadata;
      if (!meta?.KeyId || !meta.Arn) {
        throw new AwsCallError("UnknownError", `DescribeKey ${keyRef} returned no key metadata.`, "kms");
      }
      const keyLocation = locationOf(meta.Arn, location);
      const aliases = aliasIn(keyRef);
      return {
        ...keyLocation,
        keyId: meta.KeyId,
        arn: meta.Arn,
        keyManager: meta.KeyManager === "AWS" ? "AWS" : "CUSTOMER",
        enabled: meta.Enabled ?? meta.KeyState === "Enabled",
        aliases,
      } satisfies KmsKeyInfo;
    },
  };
}

function aliasIn(keyRef: string): string[] {
  if (keyRef.startsWith("alias/")) return [keyRef];
  const resource = parseArn(keyRef)?.resource;
  return resource?.startsWith("alias/") ? [resource] : [];
}
