import type { AccountRegion } from "./location";

export interface SecretDescription {
  arn: string;
  name: string;
  kmsKeyId?: string;
  description?: string;
  /** version id to its stages (AWSCURRENT, AWSPREVIOUS, AWSPENDING). */
  versions: Record<string, string[]>;
}

export interface SecretValue {
  arn: string;
  name: string;
  versionId: string;
  secretString: string;
}

/** The staging labels Secrets Manager gives meaning to; each is attached to at most one version. */
export const secretStages = {
  current: "AWSCURRENT",
  previous: "AWSPREVIOUS",
  pending: "AWSPENDING",
} as const;

/**
 * Secrets Manager, bound to one account and region. Values are strings (JSON for credentials). Staging
 * labels behave as in AWS: AWSCURRENT is what readers get; moving it moves AWSPREVIOUS to the version it
 * left; a version without labels is deprecated.
 */
export interface SecretsPort {
  readonly location: AccountRegion;
  createSecret(input: {
    name: string;
    secretString: string;
    kmsKeyId?: string;
    description?: string;
    tags?: Record<string, string>;
    /** The first version's id (ClientRequestToken, 32-64 characters): a retry that repeats it is no new version. */
    clientRequestToken?: string;
  }): Promise<{ arn: string; name: string; versionId: string }>;
  /**
   * A new version carrying `versionStages` (default ["AWSCURRENT"]); each label moves to it from the version
   * holding it. Staging it as ["AWSPENDING"] leaves AWSCURRENT (what readers get) where it is.
   */
  putSecretValue(input: {
    secretId: string;
    secretString: string;
    versionStages?: string[];
    /**
     * The new version's id (ClientRequestToken). As in AWS: repeating it with the same value changes nothing;
     * with another value it fails with ResourceExistsException (a compare-and-set on the version).
     */
    clientRequestToken?: string;
  }): Promise<{ arn: string; versionId: string }>;
  /**
   * The version `versionId`, else the one holding `versionStage` (default AWSCURRENT);
   * ResourceNotFoundException when there is none.
   */
  getSecretValue(input: {
    secretId: string;
    versionStage?: string;
    versionId?: string;
  }): Promise<SecretValue>;
  describeSecret(secretId: string): Promise<SecretDescription>;
  /**
   * Moves a label to `moveToVersionId` and/or removes it from `removeFromVersionId`. A label attached to
   * another version must be named there with `removeFromVersionId` (else InvalidParameterException).
   */
  updateSecretVersionStage(input: {
    secretId: string;
    versionStage: string;
    moveToVersionId?: string;
    removeFromVersionId?: string;
  }): Promise<void>;
}
