import type { AccountRegion } from "./location";

export interface SecretDescription {
  arn: string;
  name: string;
  kmsKeyId?: string;
  description?: string;
  /** version id to its stages (AWSCURRENT, AWSPREVIOUS). */
  versions: Record<string, string[]>;
}

export interface SecretValue {
  arn: string;
  name: string;
  versionId: string;
  secretString: string;
}

/** Secrets Manager, bound to one account and region. Values are strings (JSON for credentials). */
export interface SecretsPort {
  readonly location: AccountRegion;
  createSecret(input: {
    name: string;
    secretString: string;
    kmsKeyId?: string;
    description?: string;
    tags?: Record<string, string>;
  }): Promise<{ arn: string; name: string; versionId: string }>;
  putSecretValue(input: {
    secretId: string;
    secretString: string;
  }): Promise<{ arn: string; versionId: string }>;
  getSecretValue(input: { secretId: string; versionStage?: string }): Promise<SecretValue>;
  describeSecret(secretId: string): Promise<SecretDescription>;
}
