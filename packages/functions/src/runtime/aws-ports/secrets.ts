import { createAwsSecrets } from "@aurora-restore/aws/aws-secrets";
import { secretKeyFor, withSecretKeys } from "../../shared/secret-keys";
import type { AwsPortAdapter } from "./port-adapter";

/** Secrets Manager, per account, region and role; PCI and HIPAA plans' secrets under the target's key. */
export const awsSecretsPort: AwsPortAdapter<"secrets"> =
  ({ pool, plans }) =>
  (scope) =>
    withSecretKeys(createAwsSecrets(scope, { pool }), secretKeyFor(plans, scope));
