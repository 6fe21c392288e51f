import type { AccessScope, AccountRegion, KmsKeyInfo, KmsPort } from "@aurora-restore/core/ports/index";
import { AwsCallError } from "@aurora-restore/core/ports/index";
import { DescribeKeyCommand, ListAliasesCommand } from "@aws-sdk/client-kms";
import { locationOf, parseArn } from "./arn";
import { type AwsAdapterOptions, clientsFrom } from "./clients";
import { callAws } from "./errors";

/** KMS over the AWS SDK: describes a plan's keys (by id, ARN or alias) before the pipeline relies on them. */
export function createAwsKms(scope: AccessScope, options: AwsAdapterOptions = {}): KmsPort {
  const clients = clientsFrom(options);
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
      // ListAliases only sees this account's aliases; for another account's key keep the alias it was named by.
      const aliases =
        keyLocation.accountId === scope.accountId ? await listAliases(meta.KeyId) : aliasIn(keyRef);
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

  async function listAliases(keyId: string): Promise<string[]> {
    const client = clients.kms(scope);
    const context = { service: "kms" as const, operation: "ListAliases", resource: keyId, location };
    const aliases: string[] = [];
    let marker: string | undefined;
    do {
      const page = await callAws(context, () =>
        client.send(new ListAliasesCommand({ KeyId: keyId, ...(marker ? { Marker: marker } : {}) })),
      );
      for (const alias of page.Aliases ?? []) if (alias.AliasName) aliases.push(alias.AliasName);
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    return aliases;
  }
}

function aliasIn(keyRef: string): string[] {
  if (keyRef.startsWith("alias/")) return [keyRef];
  const resource = parseArn(keyRef)?.resource;
  return resource?.startsWith("alias/") ? [resource] : [];
}
